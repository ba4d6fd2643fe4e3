import { ArgumentsHost, Catch, HttpException, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, type DomainErrorKind } from '@gridledger/domain';
import { IntakeRefusal } from '../intake/intake.types';
import { RegistryBatchError } from '../registry/meter-registry.service';

const STATUS: Record<DomainErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unprocessable: 422,
  'too-large': 413,
};

interface BodyParserError {
  readonly type?: string;
  readonly status?: number;
  readonly limit?: number;
}

/**
 * Every refusal as a 4xx with a reason naming the field; body-parser's own errors (too
 * large, aborted) too. Anything else is a 500 without internals.
 */
@Catch()
export class IntakeExceptionFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, body } = describe(error);
    if (!response.headersSent) response.status(status).json(body);
  }
}

export function describe(error: unknown): { status: number; body: Record<string, unknown> } {
  if (error instanceof IntakeRefusal) return { status: error.status, body: error.toJSON() };
  if (error instanceof RegistryBatchError) {
    const status = Math.max(...error.errors.map((e) => STATUS[e.kind]));
    const codes = new Set(error.errors.map((e) => e.code));
    const single = error.errors.length === 1 ? registryErrorJson(error.errors[0]) : {};
    const code = codes.size === 1 ? error.errors[0].code : 'REGISTRY_REFUSED';
    return { status, body: { statusCode: status, error: code, ...single, errors: error.errors.map(registryErrorJson) } };
  }
  if (error instanceof DomainError) {
    const status = STATUS[error.kind];
    return { status, body: { statusCode: status, error: error.code, ...registryErrorJson(error) } };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const payload = error.getResponse();
    return { status, body: typeof payload === 'string' ? { statusCode: status, error: payload } : (payload as Record<string, unknown>) };
  }
  const parserError = error as BodyParserError;
  if (parserError?.type === 'entity.too.large') {
    return { status: 413, body: { statusCode: 413, error: 'BODY_TOO_LARGE', field: '(body)', reason: `body exceeds the limit of ${parserError.limit} bytes` } };
  }
  if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
    return { status: parserError.status, body: { statusCode: parserError.status, error: 'MALFORMED_REQUEST', field: '(body)', reason: parserError.type ?? 'request could not be read' } };
  }
  return { status: 500, body: { statusCode: 500, error: 'INTERNAL', reason: 'the batch was not stored; retry later' } };
}

function registryErrorJson(error: DomainError): Record<string, unknown> {
  return { code: error.code, field: error.field, reason: error.reason };
}
