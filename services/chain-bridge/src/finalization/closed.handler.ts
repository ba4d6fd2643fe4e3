import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BalancingPeriodClosed, type EventOf } from '@gridledger/events';
import { PoisonEventError, type ReceivedEvent } from '@gridledger/messaging';
import { periodStartSeconds } from '@gridledger/contracts';
import { WorkerWakeup } from '../chain/worker-wakeup';
import { PeriodFinalizationRepository } from './period-finalization.repository';

/** Records the newest market-wide summary of a period: what the TSO must finalize; wakes the chain worker on commit. */
@Injectable()
export class ClosedHandler {
  constructor(
    private readonly finalizations: PeriodFinalizationRepository,
    private readonly wakeup: WorkerWakeup,
  ) {}

  async handle(event: ReceivedEvent<EventOf<typeof BalancingPeriodClosed>>, em: EntityManager): Promise<void> {
    const data = event.envelope.data;
    const totals = {
      feedInWh: BigInt(data.totals.feedInWh),
      feedOutWh: BigInt(data.totals.feedOutWh),
      scheduleNetWh: BigInt(data.totals.scheduleNetWh),
      imbalanceWh: BigInt(data.totals.imbalanceWh),
    };
    const sum = (pick: (g: (typeof data.groups)[number]) => string) => data.groups.reduce((total, g) => total + BigInt(pick(g)), 0n);
    const mismatched = (
      [
        ['feedInWh', sum((g) => g.feedInWh), totals.feedInWh],
        ['feedOutWh', sum((g) => g.feedOutWh), totals.feedOutWh],
        ['scheduleNetWh', sum((g) => g.scheduleNetWh), totals.scheduleNetWh],
        ['imbalanceWh', sum((g) => g.imbalanceWh), totals.imbalanceWh],
      ] as const
    ).find(([, summed, stated]) => summed !== stated);
    if (mismatched) {
      throw new PoisonEventError(`totals.${mismatched[0]}: ${mismatched[2]} is not the sum over groups (${mismatched[1]}) for period ${data.periodId} revision ${data.revision}`);
    }
    await this.finalizations.upsert(em, {
      periodId: data.periodId,
      periodStart: periodStartSeconds(data.periodId),
      revision: data.revision,
      // With balancing's totals and root per group: the finalizer checks them against the chain.
      groups: data.groups.map((g) => ({
        groupId: g.groupId,
        version: g.version,
        merkleRoot: g.merkleRoot,
        feedInWh: g.feedInWh,
        feedOutWh: g.feedOutWh,
        scheduleNetWh: g.scheduleNetWh,
        imbalanceWh: g.imbalanceWh,
      })),
      totals,
    });
    await this.wakeup.requestRound(em);
  }
}
