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
 * Rule: take regular values as they are, AGGREGATE values that tile one period, REALIGN a
 * contiguous run that maps one to one onto periods, QUARANTINE everything else.
 * - A regular interval (start on the grid, end = start + one period) is taken as is.
 * - A run of contiguous intervals (each starts where the previous one ended, inner boundaries
 *   off the grid) that begins and ends on the grid is
 *   - aggregated when it spans exactly one period: its values are summed into that period
 *     (finer data, e.g. quarter hours on a PT60M grid or 5-minute values, or one clock-set
 *     boundary inside the period); nothing moves across a period boundary, so the sum is exact;
 *   - realigned when it holds exactly as many values as it spans periods and each inner
 *     boundary lies less than one period from its grid position: the i-th value is assigned
 *     the i-th period of the run. This is what a meter whose clock was set mid-period writes
 *     (the sample's 20:00-20:16-20:30 and 01:30-01:55-02:00): the run's energy is exact and
 *     each value stays whole; only its label moves, by less than one period.
 *   Both are reported (`realigned`, with the action), per value moved or per period summed.
 * - Anything else (a start off the grid, an end not after its start, one value spanning
 *   several periods, a run that cannot be mapped) is quarantined with its reason: inventing a
 *   split there would be an estimate, and estimates are the MPO's to make and flag
 *   (QTY+201/67), not the parser's.
 * - A second value for a period already filled is quarantined; if it differs, both are (a
 *   conflict has no right answer here). Unsupported qualifiers and negative energy are
 *   quarantined too (with the rest of their period when aggregated). Quarantined values keep
 *   their energy, so nothing is lost silently.
 * Linear in the number of intervals, except a sort when the file was not in time order.
 */
export function alignSeries(stated: StatedSeries, periodMs: number, formatter: PeriodIdFormatter): AlignedSeries {
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

  // Values quarantined for their times: what they say about a period contradicts any other value for it.
  const offGrid: number[] = [];
  // Units: stated[from..to] give the energy of the period starting at `start`.
  const unitFrom: number[] = [];
  const unitTo: number[] = [];
  const unitStart: number[] = [];
  const unitAction: UnitAction[] = [];
  const addUnit = (from: number, to: number, start: number, action: UnitAction): void => {
    unitFrom.push(from);
    unitTo.push(to);
    unitStart.push(start);
    unitAction.push(action);
  };

  let i = 0;
  while (i < stated.length) {
    const start = starts[i];
    const end = ends[i];
    if (end <= start) {
      quarantine(i, 'END_NOT_AFTER_START', 'the end (DTM+164) is not after the start (DTM+163)');
      i += 1;
      continue;
    }
    if (!onGrid(start, periodMs)) {
      quarantine(i, 'START_NOT_ALIGNED', 'the start is not on the period grid and does not continue a realignable run');
      offGrid.push(i);
      i += 1;
      continue;
    }
    if (onGrid(end, periodMs)) {
      if (end - start === periodMs) addUnit(i, i, start, 'as-stated');
      else {
        quarantine(i, 'SPANS_SEVERAL_PERIODS', 'one value covers several periods; splitting it would be an estimate');
        offGrid.push(i);
      }
      i += 1;
      continue;
    }
    let last = i;
    while (last + 1 < stated.length && !onGrid(ends[last], periodMs) && starts[last + 1] === ends[last] && ends[last + 1] > starts[last + 1]) {
      last += 1;
    }
    if (onGrid(ends[last], periodMs) && ends[last] - start === periodMs) {
      addUnit(i, last, start, 'aggregated');
    } else {
      const problem = runProblem(stated, i, last, periodMs);
      for (let k = i; k <= last; k += 1) {
        if (problem === null) addUnit(k, k, start + (k - i) * periodMs, 'realigned');
        else {
          quarantine(k, 'IRREGULAR_RUN', problem);
          offGrid.push(k);
        }
      }
    }
    i = last + 1;
  }

  const intervals: MsconsIntervalValue[] = [];
  const realigned: MsconsRealignedInterval[] = [];
  const indexByPeriod = new Map<number, number>();
  const unitOf: number[] = [];
  const conflicted = new Set<number>();
  const quarantineUnit = (u: number, code: QuarantineCode, reason: string): void => {
    for (let k = unitFrom[u]; k <= unitTo[u]; k += 1) quarantine(k, code, reason);
  };
  for (let u = 0; u < unitStart.length; u += 1) {
    const from = unitFrom[u];
    const to = unitTo[u];
    const start = unitStart[u];
    const refusal = unitRefusal(stated, from, to);
    if (refusal !== null) {
      for (let k = from; k <= to; k += 1) {
        if (k === refusal.member || from === to) quarantine(k, refusal.code, refusal.reason);
        else quarantine(k, 'IRREGULAR_RUN', `summed into a period with segment ${segmentNumbers[refusal.member]}, which was quarantined (${refusal.code})`);
      }
      continue;
    }
    let energyWh = energies[from];
    let quality = qualities[from] as IntervalQuality;
    for (let k = from + 1; k <= to; k += 1) {
      energyWh += energies[k];
      quality = worseQuality(quality, qualities[k] as IntervalQuality);
    }
    const periodId = formatter.periodId(start);
    const earlier = indexByPeriod.get(start);
    if (earlier !== undefined) {
      const previous = intervals[earlier];
      if (previous.energyWh === energyWh && previous.quality === quality) {
        quarantineUnit(u, 'DUPLICATE_PERIOD', `repeats period ${periodId} with the same value (segment ${previous.segmentNumber})`);
      } else {
        quarantineUnit(u, 'CONFLICTING_DUPLICATE', `period ${periodId} already has a different value (segment ${previous.segmentNumber})`);
        if (!conflicted.has(earlier)) {
          conflicted.add(earlier);
          quarantineUnit(unitOf[earlier], 'CONFLICTING_DUPLICATE', `period ${periodId} has a different value in segment ${segmentNumbers[from]}`);
        }
      }
      continue;
    }
    indexByPeriod.set(start, intervals.length);
    unitOf.push(u);
    intervals.push({ periodId, periodStartMs: start, energyWh, quality, segmentNumber: segmentNumbers[from], sourceValues: to - from + 1 });
    const action = unitAction[u];
    if (action !== 'as-stated') {
      realigned.push({
        segmentNumber: segmentNumbers[from],
        periodId,
        statedStart: formatter.instant(starts[from]),
        statedEnd: formatter.instant(ends[to]),
        action,
        values: to - from + 1,
        reason:
          action === 'realigned'
            ? 'irregular boundary inside a contiguous run: assigned to its period in the run by position'
            : `${to - from + 1} contiguous values exactly cover the period: summed`,
      });
    }
  }

  for (const earlier of overlappedPeriods(intervals, offGrid, stated, periodMs)) {
    if (conflicted.has(earlier.index)) continue;
    conflicted.add(earlier.index);
    const other = earlier.by;
    quarantineUnit(
      unitOf[earlier.index],
      'CONFLICTING_DUPLICATE',
      `the file also states ${formatter.instant(starts[other])}–${formatter.instant(ends[other])} (segment ${segmentNumbers[other]}, quarantined), which overlaps this period`,
    );
  }
  const kept = conflicted.size === 0 ? intervals : intervals.filter((_, index) => !conflicted.has(index));
  if (!isSorted(kept)) kept.sort((a, b) => a.periodStartMs - b.periodStartMs);
  let totalWh = 0n;
  for (const value of kept) totalWh += value.energyWh;
  return { intervals: kept, realigned, quarantined, totalWh };
}

type UnitAction = 'as-stated' | 'realigned' | 'aggregated';

/**
 * Accepted periods that a value quarantined for its times overlaps: the file says two things
 * about that time. Binary search over the accepted starts, so a hostile value spanning
 * centuries costs a logarithm, not a loop over its periods.
 */
function overlappedPeriods(intervals: readonly MsconsIntervalValue[], offGrid: readonly number[], stated: StatedSeries, periodMs: number): { index: number; by: number }[] {
  if (offGrid.length === 0 || intervals.length === 0) return [];
  const order = intervals.map((_, index) => index).sort((a, b) => intervals[a].periodStartMs - intervals[b].periodStartMs);
  const found: { index: number; by: number }[] = [];
  for (const k of offGrid) {
    const start = stated.starts[k];
    const end = stated.ends[k];
    if (end <= start) continue;
    // First accepted period that ends after the value starts.
    let low = 0;
    let high = order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (intervals[order[middle]].periodStartMs + periodMs <= start) low = middle + 1;
      else high = middle;
    }
    for (let n = low; n < order.length && intervals[order[n]].periodStartMs < end; n += 1) found.push({ index: order[n], by: k });
  }
  return found;
}

const QUALITY_RANK: Readonly<Record<IntervalQuality, number>> = { measured: 0, estimated: 1, substituted: 2 };

/** A period summed from values of different qualities is as good as its weakest value. */
function worseQuality(a: IntervalQuality, b: IntervalQuality): IntervalQuality {
  return QUALITY_RANK[b] > QUALITY_RANK[a] ? b : a;
}

/** The first member of stated[from..to] that cannot be settled, and why; null if all can. */
function unitRefusal(stated: StatedSeries, from: number, to: number): { member: number; code: QuarantineCode; reason: string } | null {
  for (let k = from; k <= to; k += 1) {
    if (stated.qualities[k] === null) {
      return { member: k, code: 'UNSUPPORTED_QUALIFIER', reason: `QTY qualifier ${stated.qualifiers[k]} is not settled (220 true value, 67 substituted, 201 estimated)` };
    }
    if (stated.energies[k] < 0n) {
      return { member: k, code: 'NEGATIVE_ENERGY', reason: "energy in a period cannot be negative; the direction is the meter point's" };
    }
  }
  return null;
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
