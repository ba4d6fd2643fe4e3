import { BalancingGroupId, Direction, MeterPointId, PeriodId, WattHours } from '@gridledger/domain';

/** One meter's energy in one period, as balancing counts it. */
export interface MeterValue {
  readonly meterId: MeterPointId;
  readonly direction: Direction;
  readonly energyWh: WattHours;
  /** True when balancing made the value up at the deadline (see substitution.ts). */
  readonly substituted: boolean;
}

/** A meter balancing expects in a group for a period (from the meter registry). */
export interface ExpectedMeter {
  readonly meterId: MeterPointId;
  readonly direction: Direction;
}

/** Energy delivered by schedule from one group to another in a period. */
export interface Schedule {
  readonly scheduleId: string;
  readonly periodId: PeriodId;
  readonly fromGroup: BalancingGroupId;
  readonly toGroup: BalancingGroupId;
  readonly energyWh: WattHours;
}

/** Meter and direction identify a value within a group's period. */
export function meterKey(meter: { readonly meterId: string; readonly direction: Direction }): string {
  return `${meter.meterId}|${meter.direction}`;
}

export function sameValue(a: MeterValue, b: MeterValue): boolean {
  return a.meterId === b.meterId && a.direction === b.direction && a.energyWh === b.energyWh && a.substituted === b.substituted;
}
