import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter, type INestApplication, type LoggerService } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Request, Response } from 'express';
import { throwError } from 'rxjs';
import { DomainError, MAX_REASON_LENGTH, type DomainErrorKind, type FieldError } from '@gridledger/domain';

/**
 * RFC 9457 problem details, the one error body of every service's HTTP API
 * (`Content-Type: application/problem+json`). `code` is the stable machine word (also the
 * last part of `type`); `errors` names every refused field, at least one.
 */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly errors: readonly FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const PROBLEM_STATUS: Readonly<Record<DomainErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  unprocessable: 422,
  'too-large': 413,
};

/** The HTTP status a domain refusal answers with. */
export function statusOf(error: DomainError): number {
  return PROBLEM_STATUS[error.kind];
}

/** What a service may add to the one filter: its own error types, and what it does with refusals. */
export interface ProblemDetailsHooks {
  /** Maps an error type the service still has of its own to a DomainError (undefined: not one of its own). */
  toDomainError?(error: unknown): DomainError | undefined;
  /** Called for every 4xx answer before it is sent (record it, count it); a failure here is logged and never changes the answer. */
  onRefusal?(refusal: Refusal): Promise<void> | void;
}

export interface Refusal {
  readonly problem: ProblemDetails;
  readonly method: string;
  readonly path: string;
  /** The parsed request body (a Buffer on raw-body routes, undefined when none). */
  readonly body: unknown;
}

/** Provide this token in a service's module to plug its hooks into the filter. */
export const PROBLEM_DETAILS_HOOKS = Symbol('gridledger.problemDetailsHooks');

/**
 * Every error a request ends in, as problem details: DomainError by its kind, Nest's
 * HttpExceptions (unknown routes, validation), body-parser's errors (too large, malformed);
 * anything else is a 500 that says nothing of the internals and is logged.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(
    private readonly logger: LoggerService,
    private readonly hooks: ProblemDetailsHooks = {},
  ) {}

  async catch(error: unknown, host: ArgumentsHost): Promise<unknown> {
    // Only HTTP answers are problem details; other transports keep their own error handling.
    if (host.getType() !== 'http') return throwError(() => error);
    const request = host.switchToHttp().getRequest<Request>();
    const response = host.switchToHttp().getResponse<Response>();
    const { status, problem } = toProblem(this.hooks.toDomainError?.(error) ?? error);
    if (problem.code === 'INTERNAL') {
      this.logger.error(`${request.method} ${request.path} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, 'ProblemDetailsFilter');
    } else if (status >= 500) {
      // A deliberate 5xx (a dependency did not answer): its detail says it all.
      this.logger.warn(`${request.method} ${request.path}: ${status} ${problem.detail}`, 'ProblemDetailsFilter');
    } else if (this.hooks.onRefusal) {
      try {
        await this.hooks.onRefusal({ problem, method: request.method, path: request.path, body: request.body });
      } catch (hookError) {
        this.logger.warn(`recording a refusal failed: ${hookError instanceof Error ? hookError.message : String(hookError)}`, 'ProblemDetailsFilter');
      }
    }
    if (response.headersSent) return undefined;
    response.status(status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
    return undefined;
  }
}

/** The filter with the service's hooks, if its modules provide PROBLEM_DETAILS_HOOKS. */
export function problemDetailsFilterFor(app: INestApplication, logger: LoggerService): ProblemDetailsFilter {
  let hooks: ProblemDetailsHooks | undefined;
  try {
    // Through ModuleRef: the app's own get() would log the absence as an error.
    hooks = app.get(ModuleRef).get<ProblemDetailsHooks>(PROBLEM_DETAILS_HOOKS, { strict: false });
  } catch {
    hooks = undefined;
  }
  return new ProblemDetailsFilter(logger, hooks);
}

/** Pure mapping from an error to its status and body (also used for replies off HTTP, e.g. NATS). */
export function toProblem(error: unknown): { status: number; problem: ProblemDetails } {
  if (error instanceof DomainError) return fromDomainError(error);
  if (error instanceof HttpException) return fromHttpException(error);
  const parserError = bodyParserError(error);
  if (parserError) return parserError;
  return { status: 500, problem: problem(500, 'INTERNAL', [{ field: '(request)', code: 'INTERNAL', reason: 'the request could not be completed; nothing is known to have been stored, retry later' }]) };
}

function fromDomainError(error: DomainError): { status: number; problem: ProblemDetails } {
  const status = statusOf(error);
  return { status, problem: problem(status, error.code, error.errors) };
}

function fromHttpException(error: HttpException): { status: number; problem: ProblemDetails } {
  const status = error.getStatus();
  const code = HttpStatus[status] ?? `HTTP_${status}`;
  const payload = error.getResponse();
  const message = typeof payload === 'string' ? payload : (payload as { message?: unknown }).message;
  const reasons = (Array.isArray(message) ? message : [message]).filter((m): m is string => typeof m === 'string' && m.length > 0);
  const field = status === 404 || status === 405 ? '(path)' : '(request)';
  const errors = (reasons.length > 0 ? reasons : [error.message]).map((reason) => ({ field, code, reason: bounded(reason) }));
  return { status, problem: problem(status, code, errors) };
}

/** body-parser (raw, json, text) errors carry `type` and a 4xx `status`; their messages are safe to show. */
function bodyParserError(error: unknown): { status: number; problem: ProblemDetails } | undefined {
  const candidate = error as { type?: unknown; status?: unknown; statusCode?: unknown; limit?: unknown; message?: unknown } | null;
  if (!candidate || typeof candidate !== 'object' || typeof candidate.type !== 'string') return undefined;
  const status = typeof candidate.status === 'number' ? candidate.status : candidate.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (candidate.type === 'entity.too.large') {
    return { status: 413, problem: problem(413, 'BODY_TOO_LARGE', [{ field: '(body)', code: 'BODY_TOO_LARGE', reason: `body exceeds the limit of ${String(candidate.limit)} bytes` }]) };
  }
  const code = candidate.type === 'entity.parse.failed' ? 'MALFORMED_JSON' : 'MALFORMED_REQUEST';
  const reason = typeof candidate.message === 'string' && candidate.message.length > 0 ? `${candidate.type}: ${candidate.message}` : candidate.type;
  return { status, problem: problem(status, code, [{ field: '(body)', code, reason: bounded(reason) }]) };
}

function problem(status: number, code: string, errors: readonly FieldError[]): ProblemDetails {
  const [first] = errors;
  const detail = errors.length === 1 ? `${first.field}: ${first.reason}` : `${errors.length} problems; the first: ${first.field}: ${first.reason}`;
  return { type: `urn:gridledger:problem:${code}`, title: titleOf(code), status, detail, code, errors };
}

/** `BEYOND_CAPACITY` → `Beyond capacity`: the same title for every occurrence of a type. */
function titleOf(code: string): string {
  const words = code.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function bounded(reason: string): string {
  return reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 1)}…`;
}
