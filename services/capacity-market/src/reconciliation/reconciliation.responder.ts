import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { CAPACITY_RECONCILIATION_VIEW_SUBJECT, RECONCILIATION_VIEW_LIMIT, reconciliationViewRequestSchema, viewRequestError } from '@gridledger/events';
import { natsRequest } from '@gridledger/messaging';
import { InjectDataSource } from '@gridledger/service-kit';
import { ExchangesReadRepository, type PublishedExchange } from '../persistence/exchanges-read.repository';

/**
 * `capacity-market.reconciliation.view`: the exchanges between groups capacity-market scheduled
 * (each period's latest allocation version) for a range of periods, for the reconciler
 * (docs/integrity.md), which compares them with balancing's schedules.
 */
@Controller()
export class ReconciliationResponder {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly exchanges: ExchangesReadRepository,
  ) {}

  @MessagePattern(CAPACITY_RECONCILIATION_VIEW_SUBJECT, natsRequest({ queue: 'capacity-market' }))
  async view(@Payload() body: unknown): Promise<{ exchanges: PublishedExchange[]; truncated: boolean } | { error: string }> {
    const parsed = reconciliationViewRequestSchema.safeParse(body);
    if (!parsed.success) return viewRequestError(parsed.error);
    const rows = await this.exchanges.latestOfPeriods(this.db.manager, parsed.data.fromPeriod, parsed.data.toPeriod, RECONCILIATION_VIEW_LIMIT + 1);
    return { exchanges: rows.slice(0, RECONCILIATION_VIEW_LIMIT), truncated: rows.length > RECONCILIATION_VIEW_LIMIT };
  }
}
