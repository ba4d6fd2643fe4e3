import { formatInstant } from '@gridledger/domain';
import type { Wallet } from 'ethers';
import type { Population, SimMeter } from './population';
import { energyOf } from './profiles';
import { writeMscons } from './mscons-writer';

/**
 * What the MPOs send for one quarter hour: MPO 1 sends interval values as signed JSON, MPO 2
 * sends cumulative register readings at the period boundaries (meter-ingest splits them),
 * and the plants' head-end uploads an MSCONS file. `expected` is the energy each meter really
 * had, so the demo can check the settled books against the simulation.
 */
/** A body and the MPO that signs it as a request when it is sent (docs/trust.md). */
export interface MpoBatch {
  readonly body: string;
  readonly signer: Wallet;
}

export interface PeriodSubmission {
  readonly periodId: string;
  readonly jsonBatches: readonly MpoBatch[];
  readonly mscons: MpoBatch | null;
  readonly expected: ReadonlyMap<string, bigint>;
}

export class ReadingsFeed {
  /** Register value of each MPO-2 meter at the start of the next period. */
  private readonly registers = new Map<string, bigint>();

  constructor(
    private readonly population: Population,
    private readonly seed: string,
  ) {
    for (const meter of population.meters) {
      if (meter.mpo === 1 && !isPlant(meter)) this.registers.set(meter.meterId, 1_000_000n + BigInt(meter.size) * 100n);
    }
  }

  periodSubmission(periodStartMs: number, first: boolean): PeriodSubmission {
    const periodId = formatInstant(periodStartMs);
    const endIso = formatInstant(periodStartMs + 15 * 60_000);
    const expected = new Map<string, bigint>();
    const intervals: Record<string, string>[] = [];
    const readings: Record<string, string>[] = [];
    const plantSeries: { meterId: string; values: { periodStartMs: number; energyWh: bigint }[] }[] = [];
    for (const meter of this.population.meters) {
      const energyWh = energyOf(meter, periodStartMs, this.seed);
      expected.set(meter.meterId, energyWh);
      if (isPlant(meter)) {
        plantSeries.push({ meterId: meter.meterId, values: [{ periodStartMs, energyWh }] });
      } else if (meter.mpo === 0) {
        intervals.push({ meterId: meter.meterId, periodId, energyWh: energyWh.toString() });
      } else {
        const before = this.registers.get(meter.meterId) ?? 0n;
        if (first) readings.push({ meterId: meter.meterId, readAt: periodId, registerWh: before.toString() });
        const after = before + energyWh;
        this.registers.set(meter.meterId, after);
        readings.push({ meterId: meter.meterId, readAt: endIso, registerWh: after.toString() });
      }
    }
    const [mpo1, mpo2] = this.population.mpos;
    const jsonBatches: MpoBatch[] = [];
    // meter-ingest takes at most 50,000 entries a batch (METER_INGEST_MAX_BATCH_ENTRIES): 100,000 meters go in several.
    inSlices(intervals).forEach((slice, i) => jsonBatches.push({ signer: mpo1, body: JSON.stringify({ mpo: mpo1.address, batchRef: batchRef('intervals', periodId, i), intervals: slice }) }));
    inSlices(readings).forEach((slice, i) => jsonBatches.push({ signer: mpo2, body: JSON.stringify({ mpo: mpo2.address, batchRef: batchRef('registers', periodId, i), readings: slice }) }));
    let mscons: PeriodSubmission['mscons'] = null;
    if (plantSeries.length > 0) {
      mscons = { signer: mpo1, body: writeMscons(`P${periodStartMs / 1000}`, '9900000000003', periodStartMs + 20 * 60_000, plantSeries) };
    }
    return { periodId, jsonBatches, mscons, expected };
  }
}

/** Entries per JSON batch: even, so a meter's two register readings of the first period stay in one batch. */
const BATCH_ENTRIES = 40_000;

function inSlices<T>(entries: readonly T[]): T[][] {
  const slices: T[][] = [];
  for (let from = 0; from < entries.length; from += BATCH_ENTRIES) slices.push(entries.slice(from, from + BATCH_ENTRIES));
  return slices;
}

/** The first batch keeps the name it always had; later ones are numbered. */
function batchRef(kind: string, periodId: string, index: number): string {
  return index === 0 ? `${kind}-${periodId}` : `${kind}-${periodId}-${index + 1}`;
}

function isPlant(meter: SimMeter): boolean {
  return meter.profile === 'pv-plant' || meter.profile === 'wind-plant';
}
