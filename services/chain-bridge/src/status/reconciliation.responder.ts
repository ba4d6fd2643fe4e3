import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { CHAIN_RECONCILIATION_VIEW_SUBJECT, RECONCILIATION_VIEW_LIMIT, reconciliationViewRequestSchema, viewRequestError } from '@gridledger/events';
import { natsRequest } from '@gridledger/messaging';
import { groupKey } from '@gridledger/contracts';
import { InjectDataSource } from '@gridledger/service-kit';
import { CascadeClient } from '../chain/cascade.client';
import { StatusReadRepository, type ReconciliationCommit } from '../persistence/status-read.repository';

/** Reading roots from the chain costs a call each: at most this many per answer. */
const MAX_CHAIN_READS = 500;

/**
 * `chain-bridge.reconciliation.view`: the latest version the bridge holds per group-period of a
 * range of periods, its root and state, and the root the chain holds for it (read from the
 * contract for confirmed versions), for the reconciler (docs/integrity.md).
 */
@Controller()
export class ReconciliationResponder {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly status: StatusReadRepository,
    private readonly client: CascadeClient,
  ) {}

  @MessagePattern(CHAIN_RECONCILIATION_VIEW_SUBJECT, natsRequest({ queue: 'chain-bridge' }))
  async view(@Payload() body: unknown): Promise<{ commits: (ReconciliationCommit & { onChainRoot: string | null })[]; truncated: boolean } | { error: string }> {
    const parsed = reconciliationViewRequestSchema.safeParse(body);
    if (!parsed.success) return viewRequestError(parsed.error);
    const rows = await this.status.latestCommits(this.db.manager, parsed.data.fromPeriod, parsed.data.toPeriod, RECONCILIATION_VIEW_LIMIT + 1);
    let reads = 0;
    const commits = [];
    for (const row of rows.slice(0, RECONCILIATION_VIEW_LIMIT)) {
      let onChainRoot: string | null = null;
      if (row.status === 'confirmed' && reads < MAX_CHAIN_READS) {
        reads++;
        onChainRoot = await this.client.rootOf(groupKey(row.groupId), row.periodStart, row.version).catch(() => null);
      }
      commits.push({ ...row, onChainRoot });
    }
    return { commits, truncated: rows.length > RECONCILIATION_VIEW_LIMIT };
  }
}
