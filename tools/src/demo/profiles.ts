import type { SimMeter } from './population';
import { seededRandom } from '@gridledger/testing';

/**
 * Energy of one meter in one quarter hour, in integer Wh: a household load curve with a
 * morning and an evening peak, a PV bell between 06:00 and 20:00 UTC, and a gusty wind
 * plant. Plausible rather than exact; deterministic for (seed, meter, period).
 */
export function energyOf(meter: SimMeter, periodStartMs: number, seed: string, periodMinutes = 15): bigint {
  const hour = new Date(periodStartMs).getUTCHours() + new Date(periodStartMs).getUTCMinutes() / 60;
  const noise = seededRandom(`${seed}/${meter.meterId}/${periodStartMs}`)();
  const hours = periodMinutes / 60;
  let watts: number;
  switch (meter.profile) {
    case 'household': {
      const base = meter.size / 8760; // mean kW for the annual kWh
      const shape = 0.6 + 0.9 * Math.exp(-((hour - 7.5) ** 2) / 2) + 1.4 * Math.exp(-((hour - 19) ** 2) / 4);
      watts = base * 1000 * shape * (0.7 + 0.6 * noise);
      break;
    }
    case 'pv-roof':
    case 'pv-plant': {
      const sun = hour < 6 || hour > 20 ? 0 : Math.sin(((hour - 6) / 14) * Math.PI);
      watts = meter.size * sun * sun * (0.75 + 0.25 * noise);
      break;
    }
    case 'wind-plant': {
      const gust = 0.35 + 0.25 * Math.sin(hour / 3) + 0.2 * noise;
      watts = meter.size * Math.max(0, Math.min(1, gust));
      break;
    }
    default: {
      const unknownProfile: never = meter.profile;
      throw new RangeError(`unknown profile ${String(unknownProfile)}`);
    }
  }
  // The one place a float appears: a simulated physical quantity, rounded once to whole Wh.
  return BigInt(Math.max(0, Math.round(watts * hours)));
}
