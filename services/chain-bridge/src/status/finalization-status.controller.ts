import { Controller, Get, Param } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { periodIdString } from '@gridledger/events';
import { formatWh } from '@gridledger/domain';
import { DomainError } from '@gridledger/domain';
import { InjectDataSource, parseOrRefuse } from '@gridledger/service-kit';
import { PeriodFinalizationRepository } from '../finalization/period-finalization.repository';

export const finalizationParams = z.object({ periodId: periodIdString });

/** Where the finalizer stands with a period: waiting (and for what), refused (and why), or finalized. */
@Controller()
export class FinalizationStatusController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly finalizations: PeriodFinalizationRepository,
  ) {}

  @Get('finalizations/:periodId')
  async finalization(@Param() params: Record<string, string>) {
    const { periodId } = parseOrRefuse(finalizationParams, params, '(path)');
    const row = await this.finalizations.find(this.db.manager, periodId);
    if (!row) throw new DomainError('not-found', 'NO_FINALIZATION', 'periodId', `no summary of period ${periodId} has reached the finalizer`);
    return {
      periodId,
      revision: row.revision,
      status: row.status,
      reason: row.lastError,
      groups: row.groups.map((group) => ({ groupId: group.groupId, version: group.version })),
      totals: { feedInWh: formatWh(row.totals.feedInWh), feedOutWh: formatWh(row.totals.feedOutWh), scheduleNetWh: formatWh(row.totals.scheduleNetWh), imbalanceWh: formatWh(row.totals.imbalanceWh) },
      txHash: row.txHash,
      blockNumber: row.blockNumber,
    };
  }
}
