import type { Direction, PeriodLength } from '@gridledger/domain';
import { formatInstant, periodLengthMs } from '@gridledger/domain';
import type { IntervalValue, Quality } from '../intake/reading-batch';
import { rejection, type Rejection } from './rejection';
import { maxEnergyWh, versionAt, type RegistryView } from './registry-view';

/** A value that passed every rule, resolved to the meter's group and direction at that time. */
export interface AcceptedInterval {
  readonly index: number;
  readonly meterId: string;
  readonly direction: Direction;
  readonly groupId: string;
  readonly periodId: string;
  readonly periodStartMs: number;
  readonly energyWh: bigint;
  readonly quality: Quality;
  readonly path?: string;
}

export interface IntervalValidationContext {
  /** The authenticated signer of the batch (checksummed). */
  readonly mpo: string;
  readonly periodLength: PeriodLength;
  /** The clock, passed in: values for periods that have not ended yet are refused. */
  readonly nowMs: number;
  readonly registry: RegistryView;
  /** Values for periods that started longer ago than this are refused (the correction window). */
  readonly correctionWindowMs?: number;
}

export interface IntervalValidation {
  readonly accepted: AcceptedInterval[];
  readonly rejections: Rejection[];
  /** Values for meters registered to another MPO: the whole batch is refused (403). */
  readonly foreign: Rejection[];
}

/**
 * Judges each value on its own against the registry and the clock. Work per value is a map
 * lookup, a version scan (usually one) and two bigint comparisons.
 * Duplicates inside the batch: the same content twice counts once; different content for
 * the same meter and period refuses every copy, since nobody can tell which one is right.
 */
export function validateIntervals(values: readonly IntervalValue[], context: IntervalValidationContext): IntervalValidation {
  const periodMs = periodLengthMs(context.periodLength);
  const accepted: AcceptedInterval[] = [];
  const rejections: Rejection[] = [];
  const foreign: Rejection[] = [];
  // Keyed by period, then meter: no key string built per value. Built only once a value
  // arrives out of meter order within its period: values in increasing order cannot repeat
  // each other (head-ends send them so), and the map cost a tenth of the validation.
  let seen: Map<number, Map<string, number>> | undefined;
  const order = new MeterOrder();
  const conflicted = new Set<AcceptedInterval>();
  // Few distinct limits in a batch: the bound is computed once per limit.
  const maxWhOf = new Map<bigint, bigint>();
  let lastLimitW = -1n;
  let lastMaxWh = 0n;

  for (const value of values) {
    const versions = context.registry.get(value.meterId);
    if (versions === undefined || versions.length === 0) {
      rejections.push(rejection('UNKNOWN_METER', value.meterId, `${pathOf(value)}.meterId`, value.meterId, 'no meter point with this id is registered'));
      continue;
    }
    if (versions[0].mpo !== context.mpo) {
      foreign.push(rejection('NOT_OPERATED_BY_MPO', value.meterId, `${pathOf(value)}.meterId`, value.meterId, `meter is operated by ${versions[0].mpo}, not by the signer ${context.mpo}`));
      continue;
    }
    const periodEndMs = value.periodStartMs + periodMs;
    if (periodEndMs > context.nowMs) {
      rejections.push(rejection('TIMESTAMP_IN_FUTURE', value.meterId, `${pathOf(value)}.periodId`, value.periodId, `period ends at ${formatInstant(periodEndMs)}, after the current time ${formatInstant(context.nowMs)}`));
      continue;
    }
    if (context.correctionWindowMs !== undefined && value.periodStartMs < context.nowMs - context.correctionWindowMs) {
      rejections.push(
        rejection('OUTSIDE_CORRECTION_WINDOW', value.meterId, `${pathOf(value)}.periodId`, value.periodId, `period is older than the correction window of ${context.correctionWindowMs} ms (earliest ${formatInstant(context.nowMs - context.correctionWindowMs)}); it can no longer be changed`),
      );
      continue;
    }
    const version = versionAt(versions, value.periodStartMs);
    if (version === undefined || (version.validToMs !== null && periodEndMs > version.validToMs)) {
      const last = versions[versions.length - 1];
      if (last.retired && last.validToMs !== null && value.periodStartMs >= last.validToMs) {
        rejections.push(rejection('METER_RETIRED', value.meterId, `${pathOf(value)}.periodId`, value.periodId, `meter was retired at ${formatInstant(last.validToMs)}`));
      } else {
        rejections.push(rejection('OUTSIDE_VALIDITY', value.meterId, `${pathOf(value)}.periodId`, value.periodId, `period is not covered by the meter's registration (valid from ${formatInstant(versions[0].validFromMs)})`));
      }
      continue;
    }
    // Meters in a row mostly share their limit: the map (keyed by a bigint, hashed by value)
    // only when it changes.
    if (version.connectionLimitW !== lastLimitW) {
      lastLimitW = version.connectionLimitW;
      let bound = maxWhOf.get(lastLimitW);
      if (bound === undefined) {
        bound = maxEnergyWh(lastLimitW, context.periodLength);
        maxWhOf.set(lastLimitW, bound);
      }
      lastMaxWh = bound;
    }
    const maxWh = lastMaxWh;
    if (value.energyWh > maxWh) {
      rejections.push(
        rejection('ABOVE_CONNECTION_LIMIT', value.meterId, `${pathOf(value)}.energyWh`, value.energyWh, `more than the connection limit of ${version.connectionLimitW} W allows in ${context.periodLength}`),
      );
      continue;
    }
    if (seen === undefined) {
      if (order.follows(value.periodStartMs, value.meterId)) {
        accepted.push(acceptedOf(value, version));
        continue;
      }
      seen = seenOf(accepted);
    }
    const inPeriod = meterPositions(seen, value.periodStartMs);
    const earlier = inPeriod.get(value.meterId);
    if (earlier !== undefined) {
      const first = accepted[earlier];
      if (first.energyWh !== value.energyWh || first.quality !== value.quality) conflicted.add(first);
      continue;
    }
    inPeriod.set(value.meterId, accepted.length);
    accepted.push(acceptedOf(value, version));
  }

  if (conflicted.size === 0) return { accepted, rejections, foreign };
  const kept: AcceptedInterval[] = [];
  for (const value of accepted) {
    if (conflicted.has(value)) {
      rejections.push(
        rejection('CONFLICTING_DUPLICATE', value.meterId, value.path ?? `intervals[${value.index}]`, value.periodId, 'the batch holds different values for this meter and period; none of them is taken'),
      );
    } else kept.push(value);
  }
  return { accepted: kept, rejections, foreign };
}

function acceptedOf(value: IntervalValue, version: { readonly direction: Direction; readonly groupId: string }): AcceptedInterval {
  return {
    index: value.index,
    meterId: value.meterId,
    direction: version.direction,
    groupId: version.groupId,
    periodId: value.periodId,
    periodStartMs: value.periodStartMs,
    energyWh: value.energyWh,
    quality: value.quality,
    path: value.path,
  };
}

/** Whether each period's meters have come in strictly increasing order so far. */
class MeterOrder {
  private readonly lastOf = new Map<number, string>();
  private period = Number.NaN;
  private last = '';

  /** Records the value; false if its meter is not after the period's last one. */
  follows(periodStartMs: number, meterId: string): boolean {
    if (periodStartMs !== this.period) {
      if (!Number.isNaN(this.period)) this.lastOf.set(this.period, this.last);
      this.period = periodStartMs;
      this.last = this.lastOf.get(periodStartMs) ?? '';
    }
    if (meterId <= this.last) return false;
    this.last = meterId;
    return true;
  }
}

/** The (period, meter) → position map of values accepted so far. */
function seenOf(accepted: readonly AcceptedInterval[]): Map<number, Map<string, number>> {
  const seen = new Map<number, Map<string, number>>();
  accepted.forEach((value, position) => meterPositions(seen, value.periodStartMs).set(value.meterId, position));
  return seen;
}

/** The meter → position map of one period in `seen`, made on first use. */
function meterPositions(seen: Map<number, Map<string, number>>, periodStartMs: number): Map<string, number> {
  let inPeriod = seen.get(periodStartMs);
  if (inPeriod === undefined) {
    inPeriod = new Map();
    seen.set(periodStartMs, inPeriod);
  }
  return inPeriod;
}

/** Where an answer points for a value; built only when the value is refused. */
function pathOf(value: IntervalValue): string {
  return value.path ?? `intervals[${value.index}]`;
}

/** What is already stored for a (meter, period) decides whether a resubmitted value is new. */
export type StoredComparison = 'same' | 'conflict';

export function compareWithStored(submitted: { energyWh: bigint; quality: Quality }, stored: { energyWh: bigint; quality: string }): StoredComparison {
  return submitted.energyWh === stored.energyWh && submitted.quality === stored.quality ? 'same' : 'conflict';
}
