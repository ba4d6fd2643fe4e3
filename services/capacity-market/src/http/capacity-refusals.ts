import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { InjectDataSource, type ProblemDetailsHooks, type Refusal } from '@gridledger/service-kit';
import { recordRejection } from '../persistence/periods.repository';

/** capacity-market's part in the one problem-details filter: every refused command recorded in rejected_inputs. */
@Injectable()
export class CapacityRefusals implements ProblemDetailsHooks {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Refused commands (not reads) are kept with the field, the reason and the input, for the operator to see. */
  async onRefusal({ problem, method, path, body }: Refusal): Promise<void> {
    if (method === 'GET' || method === 'HEAD') return;
    const [first] = problem.errors;
    await recordRejection(this.db.manager, `${method} ${path}`, first.field, `${problem.code}: ${first.reason}`, JSON.stringify(body ?? null));
  }
}
