import { BalancingGroupId, PeriodId, WattHours } from '@gridledger/domain';

export interface SettledGroupSummary {
  readonly groupId: BalancingGroupId;
  readonly version: number;
  readonly feedInWh: WattHours;
  readonly feedOutWh: WattHours;
  readonly scheduleNetWh: WattHours;
  readonly imbalanceWh: WattHours;
  readonly merkleRoot: string;
}

export interface MarketPeriodSummary {
  readonly periodId: PeriodId;
  readonly groups: readonly SettledGroupSummary[];
  readonly totals: { readonly feedInWh: WattHours; readonly feedOutWh: WattHours; readonly scheduleNetWh: WattHours; readonly imbalanceWh: WattHours };
}

/** Market-wide totals of a period: sums over the groups' latest settled versions. */
export function summarizeMarketPeriod(periodId: PeriodId, groups: readonly SettledGroupSummary[]): MarketPeriodSummary {
  const totals = { feedInWh: 0n, feedOutWh: 0n, scheduleNetWh: 0n, imbalanceWh: 0n };
  for (const group of groups) {
    totals.feedInWh += group.feedInWh;
    totals.feedOutWh += group.feedOutWh;
    totals.scheduleNetWh += group.scheduleNetWh;
    totals.imbalanceWh += group.imbalanceWh;
  }
  const sorted = [...groups].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  return { periodId, groups: sorted, totals };
}
