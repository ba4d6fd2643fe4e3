import { BalancingGroupId, Direction, DomainError, MAX_ABS_WH, MeterPointId, PeriodId, WattHours } from '@gridledger/domain';

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

/** A value as a meter point operator reports it (balancing alone makes substitutes). */
export interface IncomingMeterValue {
  readonly meterId: MeterPointId;
  readonly direction: Direction;
  readonly energyWh: WattHours;
}

/**
 * The one rule for "a value changed the period", used by the decider and by the store that
 * records values as they arrive: a value counts when the meter has none yet, when the known
 * one is a substitute (a real value replaces a substitute even with equal energy, so the
 * version loses its `substituted` flag), or when the energy differs. The same energy again
 * from a real value is no change (a re-sent batch is a no-op).
 */
export function valueChanged(known: MeterValue | undefined, incoming: IncomingMeterValue): boolean {
  return known === undefined || known.substituted || known.energyWh !== incoming.energyWh;
}

/**
 * The values of a batch that change the period, as measured values: the last one per meter
 * and direction counts, each checked against what is known by `valueChanged`. A negative or
 * unbounded energy is refused, naming the value.
 */
export function changedValues(incoming: readonly IncomingMeterValue[], knownOf: (key: string) => MeterValue | undefined): MeterValue[] {
  const latest = new Map<string, MeterValue>();
  incoming.forEach((value, index) => {
    if (value.energyWh < 0n || value.energyWh > MAX_ABS_WH) {
      throw new DomainError('invalid', 'ENERGY_OUT_OF_RANGE', `values[${index}].energyWh`, `${value.meterId} ${value.direction}: must be 0 to 10^18 Wh`);
    }
    latest.set(meterKey(value), { meterId: value.meterId, direction: value.direction, energyWh: value.energyWh, substituted: false });
  });
  const changed: MeterValue[] = [];
  for (const [key, value] of latest) if (valueChanged(knownOf(key), value)) changed.push(value);
  return changed;
}
