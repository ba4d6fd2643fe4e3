import { WattHours } from '@gridledger/domain';
import { ExpectedMeter, MeterValue } from './meter-value';

/**
 * The substitute rule for a meter still missing at the deadline: its value in the same
 * period of the previous day (same group, latest settled version), else zero. The value is
 * flagged `substituted`; a real value arriving later is a correction (version n+1).
 */
export const SUBSTITUTE_LOOKBACK_MS = 24 * 60 * 60 * 1000;

export function substituteValue(meter: ExpectedMeter, previousDayWh: WattHours | undefined): MeterValue {
  return { meterId: meter.meterId, direction: meter.direction, energyWh: previousDayWh ?? 0n, substituted: true };
}
