import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { DomainError, type DomainErrorKind } from '@gridledger/domain';
import { InjectDataSource, InjectLogger } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';

const STATUS: Record<DomainErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  'too-large': HttpStatus.PAYLOAD_TOO_LARGE,
};

/** A refused command answers with its code, field and reason, and is recorded. */
@Catch(DomainError)
export class CapacityErrorFilter implements ExceptionFilter {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectLogger() private readonly logger: JsonLogger,
  ) {}

  async catch(error: DomainError, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const input = JSON.stringify(request.body ?? null).slice(0, 2000);
    await this.db
      .query(`INSERT INTO rejected_inputs (source, field, reason, input) VALUES ($1, $2, $3, $4)`, [`${request.method} ${request.path}`, error.field, `${error.code}: ${error.reason}`, input])
      .catch((recordError: unknown) => this.logger.warn(`could not record a rejected input: ${String(recordError)}`, 'CapacityErrorFilter'));
    response.status(STATUS[error.kind]).json({ error: error.code, field: error.field, reason: error.reason, message: error.message });
  }
}
