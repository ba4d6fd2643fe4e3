import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CapacityError, CapacityErrorCode } from '@gridledger/capacity';
import { DomainError, type DomainErrorKind } from '@gridledger/domain';
import { InjectDataSource, type ProblemDetailsHooks, type Refusal } from '@gridledger/service-kit';
import { recordRejection } from '../persistence/periods.repository';

// Until the capacity deciders refuse with DomainError themselves: the kind of each code.
const CAPACITY_KIND: Record<CapacityErrorCode, DomainErrorKind> = {
  [CapacityErrorCode.InvalidField]: 'invalid',
  [CapacityErrorCode.SameHolder]: 'invalid',
  [CapacityErrorCode.PlantAlreadyRegistered]: 'conflict',
  [CapacityErrorCode.HolderAlreadyRegistered]: 'conflict',
  [CapacityErrorCode.PlantNotRegistered]: 'not-found',
  [CapacityErrorCode.HolderNotRegistered]: 'not-found',
  [CapacityErrorCode.BeyondCapacity]: 'unprocessable',
  [CapacityErrorCode.InsufficientShares]: 'unprocessable',
};

/** capacity-market's part in the one problem-details filter: its error type, and every refused command recorded in rejected_inputs. */
@Injectable()
export class CapacityRefusals implements ProblemDetailsHooks {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  toDomainError(error: unknown): DomainError | undefined {
    return error instanceof CapacityError ? new DomainError(CAPACITY_KIND[error.code], error.code, error.field, error.reason) : undefined;
  }

  /** Refused commands (not reads) are kept with the field, the reason and the input, for the operator to see. */
  async onRefusal({ problem, method, path, body }: Refusal): Promise<void> {
    if (method === 'GET' || method === 'HEAD') return;
    const [first] = problem.errors;
    await recordRejection(this.db.manager, `${method} ${path}`, first.field, `${problem.code}: ${first.reason}`, JSON.stringify(body ?? null));
  }
}
