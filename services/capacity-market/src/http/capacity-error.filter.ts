import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { CapacityError, CapacityErrorCode } from '@gridledger/capacity';
import { InjectDataSource, InjectLogger } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';

const STATUS: Record<CapacityErrorCode, number> = {
  [CapacityErrorCode.InvalidField]: HttpStatus.BAD_REQUEST,
  [CapacityErrorCode.PlantAlreadyRegistered]: HttpStatus.CONFLICT,
  [CapacityErrorCode.HolderAlreadyRegistered]: HttpStatus.CONFLICT,
  [CapacityErrorCode.PlantNotRegistered]: HttpStatus.NOT_FOUND,
  [CapacityErrorCode.HolderNotRegistered]: HttpStatus.NOT_FOUND,
  [CapacityErrorCode.BeyondCapacity]: HttpStatus.UNPROCESSABLE_ENTITY,
  [CapacityErrorCode.InsufficientShares]: HttpStatus.UNPROCESSABLE_ENTITY,
  [CapacityErrorCode.SameHolder]: HttpStatus.BAD_REQUEST,
};

/** A refused command answers with its code, field and reason, and is recorded. */
@Catch(CapacityError)
export class CapacityErrorFilter implements ExceptionFilter {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectLogger() private readonly logger: JsonLogger,
  ) {}

  async catch(error: CapacityError, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const input = JSON.stringify(request.body ?? null).slice(0, 2000);
    await this.db
      .query(`INSERT INTO rejected_inputs (source, field, reason, input) VALUES ($1, $2, $3, $4)`, [`${request.method} ${request.path}`, error.field, `${error.code}: ${error.reason}`, input])
      .catch((recordError: unknown) => this.logger.warn(`could not record a rejected input: ${String(recordError)}`, 'CapacityErrorFilter'));
    response.status(STATUS[error.code]).json({ error: error.code, field: error.field, reason: error.reason, message: error.message });
  }
}
