import { BalancingGroupId, WattHours } from '@gridledger/domain';
import { Schedule } from './meter-value';
import { MeterRows, NO_VALUE, SUBSTITUTED } from './meter-rows';

export interface GroupTotals {
  readonly feedInWh: WattHours;
  readonly feedOutWh: WattHours;
  /** Energy the group delivered to others by schedule minus what it received. */
  readonly scheduleNetWh: WattHours;
  /** feedInWh − feedOutWh − scheduleNetWh, exactly. */
  readonly imbalanceWh: WattHours;
  readonly meterCount: number;
  readonly substitutedCount: number;
}

/** Net delivery of a group by schedule: out (from the group) is positive, in is negative. */
export function scheduleNetOf(groupId: BalancingGroupId, schedules: Iterable<Schedule>): WattHours {
  let net = 0n;
  for (const schedule of schedules) {
    if (schedule.fromGroup === groupId) net += schedule.energyWh;
    if (schedule.toGroup === groupId) net -= schedule.energyWh;
  }
  return net;
}

/** Feed-in (production) against feed-out (consumption) and schedules of one group and period. */
export function netGroupPeriod(groupId: BalancingGroupId, meters: MeterRows, schedules: Iterable<Schedule>): GroupTotals {
  let feedInWh = 0n;
  let feedOutWh = 0n;
  let meterCount = 0;
  let substitutedCount = 0;
  for (let row = 0; row < meters.kinds.length; row++) {
    const kind = meters.kinds[row];
    if (kind === NO_VALUE) continue;
    if (meters.directions[row] === 1) feedInWh += meters.energies[row];
    else feedOutWh += meters.energies[row];
    meterCount += 1;
    if (kind === SUBSTITUTED) substitutedCount += 1;
  }
  const scheduleNetWh = scheduleNetOf(groupId, schedules);
  return { feedInWh, feedOutWh, scheduleNetWh, imbalanceWh: feedInWh - feedOutWh - scheduleNetWh, meterCount, substitutedCount };
}
