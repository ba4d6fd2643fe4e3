import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { InjectDataSource, type ProblemDetailsHooks, type Refusal } from '@gridledger/service-kit';
import { recordRejection } from '../persistence/periods.repository';

/** capacity-market's part in the one problem-details filter: every refused command recorded in rejected_inputs. */
@Injectable()
export class CapacityRefusals implements ProblemDetailsHooks {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Refused commands (not reads) are kept with the field, the reason and the input, for the
   * operator to see. Not those without a valid signature (401): anyone could fill the table.
   */
  async onRefusal({ problem, method, path, body }: Refusal): Promise<void> {
    if (method === 'GET' || method === 'HEAD' || problem.status === 401) return;
    const [first] = problem.errors;
    // A signed request refused before its body was parsed still holds the raw bytes.
    const input = Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body ?? null);
    await recordRejection(this.db.manager, `${method} ${path}`, first.field, `${problem.code}: ${first.reason}`, input);
  }
}
