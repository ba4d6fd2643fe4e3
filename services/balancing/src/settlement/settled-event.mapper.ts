import { BalancingPeriodClosed, BalancingPeriodSettled, EventData } from '@gridledger/events';
import { MarketPeriodSummary, SettledVersion } from '@gridledger/settlement';
import { PeriodLength } from '@gridledger/domain';

export function settledEventData(settled: SettledVersion): EventData<typeof BalancingPeriodSettled> {
  return {
    groupId: settled.groupId,
    periodId: settled.periodId,
    periodLength: settled.periodLength,
    version: settled.version,
    trigger: settled.trigger,
    feedInWh: settled.totals.feedInWh.toString(),
    feedOutWh: settled.totals.feedOutWh.toString(),
    scheduleNetWh: settled.totals.scheduleNetWh.toString(),
    imbalanceWh: settled.totals.imbalanceWh.toString(),
    imbalancePricePerMWh: settled.imbalancePricePerMWh?.toString() ?? null,
    imbalanceAmount: settled.imbalanceAmount?.toString() ?? null,
    ledgerDigest: settled.ledgerDigest,
    merkleRoot: settled.merkleRoot,
    meterCount: settled.totals.meterCount,
    substitutedCount: settled.totals.substitutedCount,
    ...(settled.substitutionReason ? { substitutionReason: settled.substitutionReason } : {}),
  };
}

export function closedEventData(summary: MarketPeriodSummary, periodLength: PeriodLength, revision: number): EventData<typeof BalancingPeriodClosed> {
  return {
    periodId: summary.periodId,
    periodLength,
    revision,
    groups: summary.groups.map((group) => ({
      groupId: group.groupId,
      version: group.version,
      feedInWh: group.feedInWh.toString(),
      feedOutWh: group.feedOutWh.toString(),
      scheduleNetWh: group.scheduleNetWh.toString(),
      imbalanceWh: group.imbalanceWh.toString(),
      merkleRoot: group.merkleRoot,
    })),
    totals: {
      feedInWh: summary.totals.feedInWh.toString(),
      feedOutWh: summary.totals.feedOutWh.toString(),
      scheduleNetWh: summary.totals.scheduleNetWh.toString(),
      imbalanceWh: summary.totals.imbalanceWh.toString(),
    },
  };
}
