import { WattHours } from '@gridledger/domain';
import { IntervalQuality, MsconsIntervalValue, MsconsQuarantinedInterval, MsconsRealignedInterval, QuarantineCode } from './mscons.types';
import { PeriodIdFormatter } from './period-id-formatter';

/**
 * The intervals of one series as the file states them, before they are put on the period
 * grid. Kept as parallel arrays rather than one object per value: a message holds them until
 * its UNT, and a million short-lived-but-retained objects were the garbage collector's work.
 */
export class StatedSeries {
  readonly segmentNumbers: number[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly energies: WattHours[] = [];
  readonly qualifiers: string[] = [];
  /** Null where the qualifier is not one we settle (220, 67, 201). */
  readonly qualities: (IntervalQuality | null)[] = [];

  get length(): number {
    return this.starts.length;
  }

  push(segmentNumber: number, startMs: number, endMs: number, energyWh: WattHours, qualifier: string, quality: IntervalQuality | null): void {
    this.segmentNumbers.push(segmentNumber);
    this.starts.push(startMs);
    this.ends.push(endMs);
    this.energies.push(energyWh);
    this.qualifiers.push(qualifier);
    this.qualities.push(quality);
  }
}

export interface AlignedSeries {
  readonly intervals: MsconsIntervalValue[];
  readonly realigned: MsconsRealignedInterval[];
  readonly quarantined: MsconsQuarantinedInterval[];
  readonly totalWh: WattHours;
}

/**
 * Puts the stated intervals of one series on the UTC period grid.
 *
 * Rule: REALIGN a contiguous run, QUARANTINE everything else.
 * - A regular interval (start on the grid, end = start + one period) is taken as is.
 * - A run of contiguous intervals (each starts where the previous one ended) that begins and
 *   ends on the grid, holds exactly as many intervals as it spans periods, and whose inner
 *   boundaries each lie less than one period away from their grid position, is realigned:
 *   its i-th interval is assigned the i-th period of the run. This is what a meter whose
 *   clock was set mid-period produces (the sample's 20:00-20:16-20:30 and
 *   01:30-01:55-02:00): the energy of the run is exact and each value stays whole and
 *   unmodified; only its label moves, and by less than one period. Every realigned value is
 *   reported.
 * - Anything else (a start off the grid, an end not after its start, one interval spanning
 *   several periods, a run that cannot be mapped one to one) is quarantined with its reason:
 *   inventing a split there would be an estimate, and estimates are the MPO's to make, flagged
 *   as such (QTY+201/67), not the parser's.
 * - A second value for a period already filled is quarantined; if it differs, both are
 *   (a conflict has no right answer here). Unsupported qualifiers and negative energy are
 *   quarantined too. Quarantined values keep their energy, so nothing is lost silently.
 * Linear in the number of intervals, except a sort when the file was not in time order.
 */
export function alignSeries(stated: StatedSeries, periodMs: number, formatter: PeriodIdFormatter): AlignedSeries {
  const assigned: (number | null)[] = new Array(stated.length);
  const realignedAt: boolean[] = new Array(stated.length).fill(false);
  const quarantined: MsconsQuarantinedInterval[] = [];
  const { starts, ends, energies, qualities, segmentNumbers } = stated;
  const quarantine = (k: number, code: QuarantineCode, reason: string): void => {
    quarantined.push({
      segmentNumber: segmentNumbers[k],
      code,
      reason,
      statedStart: formatter.instant(starts[k]),
      statedEnd: formatter.instant(ends[k]),
      energyWh: energies[k],
      qualifier: stated.qualifiers[k],
    });
  };

  let i = 0;
  while (i < stated.length) {
    const start = starts[i];
    const end = ends[i];
    if (end <= start) {
      assigned[i] = null;
      quarantine(i, 'END_NOT_AFTER_START', 'the end (DTM+164) is not after the start (DTM+163)');
      i += 1;
      continue;
    }
    if (!onGrid(start, periodMs)) {
      assigned[i] = null;
      quarantine(i, 'START_NOT_ALIGNED', 'the start is not on the period grid and does not continue a realignable run');
      i += 1;
      continue;
    }
    if (onGrid(end, periodMs)) {
      if (end - start === periodMs) {
        assigned[i] = start;
      } else {
        assigned[i] = null;
        quarantine(i, 'SPANS_SEVERAL_PERIODS', 'one value covers several periods; splitting it would be an estimate');
      }
      i += 1;
      continue;
    }
    let last = i;
    while (last + 1 < stated.length && !onGrid(ends[last], periodMs) && starts[last + 1] === ends[last] && ends[last + 1] > starts[last + 1]) {
      last += 1;
    }
    const problem = runProblem(stated, i, last, periodMs);
    for (let k = i; k <= last; k += 1) {
      if (problem === null) {
        assigned[k] = start + (k - i) * periodMs;
        realignedAt[k] = true;
      } else {
        assigned[k] = null;
        quarantine(k, 'IRREGULAR_RUN', problem);
      }
    }
    i = last + 1;
  }

  const intervals: MsconsIntervalValue[] = [];
  const realigned: MsconsRealignedInterval[] = [];
  const indexByPeriod = new Map<number, number>();
  const sourceOf: number[] = [];
  const conflicted = new Set<number>();
  for (let k = 0; k < stated.length; k += 1) {
    const start = assigned[k];
    if (start === null) continue;
    const quality = qualities[k];
    const energyWh = energies[k];
    if (quality === null) {
      quarantine(k, 'UNSUPPORTED_QUALIFIER', `QTY qualifier ${stated.qualifiers[k]} is not settled (220 true value, 67 substituted, 201 estimated)`);
      continue;
    }
    if (energyWh < 0n) {
      quarantine(k, 'NEGATIVE_ENERGY', "energy in a period cannot be negative; the direction is the meter point's");
      continue;
    }
    const periodId = formatter.periodId(start);
    const earlier = indexByPeriod.get(start);
    if (earlier !== undefined) {
      const previous = intervals[earlier];
      if (previous.energyWh === energyWh && previous.quality === quality) {
        quarantine(k, 'DUPLICATE_PERIOD', `repeats period ${periodId} with the same value (segment ${previous.segmentNumber})`);
      } else {
        quarantine(k, 'CONFLICTING_DUPLICATE', `period ${periodId} already has a different value (segment ${previous.segmentNumber})`);
        if (!conflicted.has(earlier)) {
          conflicted.add(earlier);
          quarantine(sourceOf[earlier], 'CONFLICTING_DUPLICATE', `period ${periodId} has a different value in segment ${segmentNumbers[k]}`);
        }
      }
      continue;
    }
    indexByPeriod.set(start, intervals.length);
    sourceOf.push(k);
    intervals.push({ periodId, periodStartMs: start, energyWh, quality, segmentNumber: segmentNumbers[k] });
    if (realignedAt[k]) {
      realigned.push({
        segmentNumber: segmentNumbers[k],
        periodId,
        statedStart: formatter.instant(starts[k]),
        statedEnd: formatter.instant(ends[k]),
        reason: 'irregular boundary inside a contiguous run: assigned to its period in the run by position',
      });
    }
  }

  const kept = conflicted.size === 0 ? intervals : intervals.filter((_, index) => !conflicted.has(index));
  if (!isSorted(kept)) kept.sort((a, b) => a.periodStartMs - b.periodStartMs);
  let totalWh = 0n;
  for (const value of kept) totalWh += value.energyWh;
  return { intervals: kept, realigned, quarantined, totalWh };
}

/** Why the run from..to cannot be realigned, or null when it can. */
function runProblem(stated: StatedSeries, from: number, to: number, periodMs: number): string | null {
  const start = stated.starts[from];
  const end = stated.ends[to];
  if (!onGrid(end, periodMs)) {
    return 'the run of intervals ends off the period grid and nothing continues it';
  }
  const count = to - from + 1;
  if (end - start !== count * periodMs) {
    return `${count} intervals cover ${(end - start) / 60_000} minutes: they cannot be mapped one to one onto periods`;
  }
  for (let k = from + 1; k <= to; k += 1) {
    const gridPosition = start + (k - from) * periodMs;
    const boundary = stated.starts[k];
    if (boundary <= gridPosition - periodMs || boundary >= gridPosition + periodMs) {
      return 'an inner boundary of the run is a whole period or more away from its grid position';
    }
  }
  return null;
}

function onGrid(instantMs: number, periodMs: number): boolean {
  return instantMs % periodMs === 0;
}

function isSorted(values: readonly MsconsIntervalValue[]): boolean {
  for (let k = 1; k < values.length; k += 1) if (values[k].periodStartMs < values[k - 1].periodStartMs) return false;
  return true;
}
