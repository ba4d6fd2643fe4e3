import { MAX_ABS_WH, meterPointIdProblem, PeriodLength, periodLengthMs } from '@gridledger/domain';
import { PeriodIdFormatter } from '../mscons/period-id-formatter';
import {
  RegisterGap,
  RegisterPoint,
  RegisterReadingError,
  RegisterReadingErrorCode,
  RegisterSeriesState,
  RegisterSplitOptions,
  RegisterSplitReading,
  RegisterSplitResult,
} from './register-split.types';

export const DEFAULT_MAX_GAP_MS = 24 * 3_600_000;
export const DEFAULT_MAX_SPAN_MS = 31 * 86_400_000;
export const DEFAULT_MAX_PERIODS = 5_000_000;
/** Readings must lie between 1970 and the end of 9999: every instant then has a period id. */
const LATEST_READING_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

interface SpanLimits {
  readonly maxGapMs: number;
  readonly maxSpanMs: number;
  readonly maxPeriods: number;
}

/**
 * Turns cumulative register readings into energy per settlement period, in integer Wh.
 *
 * Between two consecutive readings the register delta is spread in proportion to time. Each
 * period boundary B gets the register value interpolated there, rounded down:
 *   F(B) = v0 + floor((v1 - v0) * (B - t0) / (t1 - t0))
 * and a period's energy is F(end) - F(start). Because F is an integer, never decreasing, and
 * equal to the register at every reading, the periods are non-negative integers that sum
 * exactly to the register delta between their outer boundaries: the remainder of one period
 * is carried into the next instead of being rounded away (the cumulative-floor method).
 *
 * Rules:
 * - Only whole periods are emitted. A period that a batch covers only partly is completed by
 *   a later reading: the caller keeps `states` and passes them back as `previous`.
 * - A series' first reading inside a period leaves that period partial for good (nothing is
 *   known before it): reported as a PARTIAL_FIRST_PERIOD gap with the energy after the reading.
 * - Readings are sorted by time. A register going backwards is refused unless the reading
 *   declares a meter exchange; with the old meter's final value the curve continues without
 *   a loss, without it the span is a gap.
 * - Two readings further apart than `maxGapMs` mean data was missing: the gap is reported
 *   (LONG_SPAN_INTERPOLATED) and, since the later reading fills it, its periods are produced
 *   retroactively but marked `estimated` (a straight line across hours is not a measurement).
 * - Two readings further apart than `maxSpanMs` are not split at all: a SPAN_TOO_LONG gap
 *   carries the register delta and a new series starts.
 * - A second reading at the same instant with the same value is a harmless repeat; with a
 *   different value it is refused. Readings before the last known one are refused (those
 *   periods are already emitted).
 * Work is linear in readings plus emitted periods; periods per span are bounded by maxSpanMs
 * and per call by maxPeriods (a reading that would exceed it is refused, as MALFORMED_TIMESTAMP
 * with that reason, so the MPO can send it again in a later batch).
 */
export function splitRegisterReadings(
  readings: readonly RegisterSplitReading[],
  periodLength: PeriodLength,
  options: RegisterSplitOptions = {},
): RegisterSplitResult {
  const periodMs = periodLengthMs(periodLength);
  const limits: SpanLimits = {
    maxGapMs: options.maxGapMs ?? DEFAULT_MAX_GAP_MS,
    maxSpanMs: options.maxSpanMs ?? DEFAULT_MAX_SPAN_MS,
    maxPeriods: options.maxPeriods ?? DEFAULT_MAX_PERIODS,
  };
  const formatter = new PeriodIdFormatter();
  const result: RegisterSplitResult = { intervals: [], gaps: [], errors: [], states: [] };

  const byMeter = new Map<string, number[]>();
  for (let position = 0; position < readings.length; position += 1) {
    const reading = readings[position];
    const problem = readingProblem(reading);
    if (problem !== null) {
      result.errors.push(errorOf(reading, position, problem.code, problem.field, problem.reason));
      continue;
    }
    const positions = byMeter.get(reading.meterId);
    if (positions === undefined) byMeter.set(reading.meterId, [position]);
    else positions.push(position);
  }

  for (const [meterId, positions] of byMeter) {
    positions.sort((a, b) => readings[a].readAtMs - readings[b].readAtMs || a - b);
    const series = new MeterSeries(meterId, periodMs, formatter, result, options.previous?.get(meterId));
    for (const position of positions) series.take(readings[position], position, limits);
    if (options.expectedUntilMs !== undefined) series.reportAwaiting(options.expectedUntilMs);
    const state = series.state();
    if (state !== null) result.states.push(state);
  }
  return result;
}

/** One meter's walk along its readings; appends to the shared result. */
class MeterSeries {
  private last: RegisterPoint | null;
  private anchor: RegisterPoint | null;
  /** The energy since the anchor comes (partly) from an interpolated long span. */
  private sinceAnchorEstimated: boolean;

  constructor(
    private readonly meterId: string,
    private readonly periodMs: number,
    private readonly formatter: PeriodIdFormatter,
    private readonly result: RegisterSplitResult,
    previous: RegisterSeriesState | undefined,
  ) {
    this.last = previous?.lastReading ?? null;
    this.anchor = previous?.anchor ?? null;
    this.sinceAnchorEstimated = previous?.sinceAnchorEstimated ?? false;
  }

  take(reading: RegisterSplitReading, position: number, limits: SpanLimits): void {
    const point: RegisterPoint = { atMs: reading.readAtMs, registerWh: reading.registerWh };
    const last = this.last;
    const anchor = this.anchor;
    if (last === null || anchor === null) {
      this.last = point;
      this.anchor = point;
      return;
    }
    if (point.atMs < last.atMs) {
      this.refuse(reading, position, 'BEFORE_LAST_KNOWN_READING', 'readAtMs', `is before the last known reading at ${this.formatter.instant(last.atMs)}, whose periods are already split`);
      return;
    }
    if (point.atMs === last.atMs && reading.meterExchange !== true) {
      if (point.registerWh !== last.registerWh) {
        this.refuse(reading, position, 'CONFLICTING_DUPLICATE', 'registerWh', `another reading at the same instant says ${last.registerWh} Wh`);
      }
      return;
    }
    if (reading.meterExchange === true) {
      this.exchange(reading, position, point, last, anchor, limits);
      return;
    }
    if (point.registerWh < last.registerWh) {
      this.refuse(reading, position, 'REGISTER_BACKWARDS', 'registerWh', `is below the previous reading (${last.registerWh} Wh) and no meter exchange is declared`);
      return;
    }
    if (point.atMs - last.atMs > limits.maxSpanMs) {
      this.gap('SPAN_TOO_LONG', anchor.atMs, point.atMs, point.registerWh - anchor.registerWh);
      this.restartAt(point);
      return;
    }
    if (this.exceedsPeriods(last, point, limits)) {
      this.refuseVolume(reading, position, limits);
      return;
    }
    this.walkChecked(last, point, limits);
    this.last = point;
  }

  /** AWAITING_READING for the periods before `untilMs` that no reading reaches yet. */
  reportAwaiting(untilMs: number): void {
    const anchor = this.anchor;
    if (anchor === null) return;
    const end = Math.floor(untilMs / this.periodMs) * this.periodMs;
    if (end > anchor.atMs) this.gap('AWAITING_READING', anchor.atMs, end, null);
  }

  state(): RegisterSeriesState | null {
    if (this.last === null || this.anchor === null) return null;
    const state = { meterId: this.meterId, lastReading: this.last, anchor: this.anchor };
    return this.sinceAnchorEstimated ? { ...state, sinceAnchorEstimated: true } : state;
  }

  private exchange(reading: RegisterSplitReading, position: number, point: RegisterPoint, last: RegisterPoint, anchor: RegisterPoint, limits: SpanLimits): void {
    const final = reading.previousMeterFinalWh;
    if (final === undefined) {
      this.gap('METER_EXCHANGE_WITHOUT_FINAL_READING', anchor.atMs, point.atMs, null);
      this.restartAt(point);
      return;
    }
    if (final < last.registerWh) {
      this.refuse(reading, position, 'REGISTER_BACKWARDS', 'previousMeterFinalWh', `the old meter's final value is below its previous reading (${last.registerWh} Wh)`);
      return;
    }
    if (point.atMs - last.atMs > limits.maxSpanMs) {
      this.gap('SPAN_TOO_LONG', anchor.atMs, point.atMs, final - anchor.registerWh);
      this.restartAt(point);
      return;
    }
    if (this.exceedsPeriods(last, point, limits)) {
      this.refuseVolume(reading, position, limits);
      return;
    }
    if (point.atMs > last.atMs) this.walkChecked(last, { atMs: point.atMs, registerWh: final }, limits);
    else if (final !== last.registerWh) {
      this.refuse(reading, position, 'CONFLICTING_DUPLICATE', 'previousMeterFinalWh', `the old meter's reading at the same instant says ${last.registerWh} Wh`);
      return;
    }
    // From here on the curve is counted in the new meter's register: shift the anchor with it.
    const current = this.anchor ?? anchor;
    this.anchor = { atMs: current.atMs, registerWh: current.registerWh - final + point.registerWh };
    this.last = point;
  }

  private exceedsPeriods(from: RegisterPoint, to: RegisterPoint, limits: SpanLimits): boolean {
    const boundaries = Math.floor(to.atMs / this.periodMs) - Math.floor(from.atMs / this.periodMs);
    return this.result.intervals.length + boundaries > limits.maxPeriods;
  }

  /** Walks a span, reporting it first when it is long enough to count as missing data. */
  private walkChecked(from: RegisterPoint, to: RegisterPoint, limits: SpanLimits): void {
    const long = to.atMs - from.atMs > limits.maxGapMs;
    if (long) this.gap('LONG_SPAN_INTERPOLATED', from.atMs, to.atMs, null);
    this.walk(from, to, long);
  }

  /** Emits every period that ends inside (from, to], from the interpolated boundary values. */
  private walk(from: RegisterPoint, to: RegisterPoint, interpolatedLong: boolean): void {
    const periodMs = this.periodMs;
    let anchor = this.anchor as RegisterPoint;
    const delta = to.registerWh - from.registerWh;
    const span = BigInt(to.atMs - from.atMs);
    let boundary = Math.ceil(from.atMs / periodMs) * periodMs;
    if (boundary <= anchor.atMs) boundary = Math.floor(anchor.atMs / periodMs) * periodMs + periodMs;
    for (; boundary <= to.atMs; boundary += periodMs) {
      const value = from.registerWh + (delta * BigInt(boundary - from.atMs)) / span;
      if (anchor.atMs % periodMs === 0) {
        const start = boundary - periodMs;
        this.result.intervals.push({
          meterId: this.meterId,
          periodId: this.formatter.periodId(start),
          periodStartMs: start,
          energyWh: value - anchor.registerWh,
          quality: interpolatedLong || this.sinceAnchorEstimated ? 'estimated' : 'measured',
        });
      } else {
        this.gap('PARTIAL_FIRST_PERIOD', anchor.atMs, boundary, value - anchor.registerWh);
      }
      anchor = { atMs: boundary, registerWh: value };
      this.sinceAnchorEstimated = false;
    }
    this.anchor = anchor;
    // What lies beyond the last boundary belongs to the next period.
    if (interpolatedLong && to.atMs > anchor.atMs) this.sinceAnchorEstimated = true;
  }

  private restartAt(point: RegisterPoint): void {
    this.last = point;
    this.anchor = point;
    this.sinceAnchorEstimated = false;
  }

  private gap(reason: RegisterGap['reason'], fromMs: number, toMs: number, energyWh: bigint | null): void {
    this.result.gaps.push({ meterId: this.meterId, reason, fromMs, toMs, energyWh });
  }

  /** Bounded memory: refused, not dropped, so the MPO can send the rest in another batch. */
  private refuseVolume(reading: RegisterSplitReading, position: number, limits: SpanLimits): void {
    this.refuse(reading, position, 'MALFORMED_TIMESTAMP', 'readAtMs', `would take this batch past ${limits.maxPeriods} periods; send the rest in another batch`);
  }

  private refuse(reading: RegisterSplitReading, position: number, code: RegisterReadingErrorCode, field: string, reason: string): void {
    this.result.errors.push(errorOf(reading, position, code, field, reason));
  }
}

function readingProblem(reading: RegisterSplitReading): { code: RegisterReadingErrorCode; field: string; reason: string } | null {
  const idProblem = meterPointIdProblem(reading.meterId);
  if (idProblem !== null) return { code: 'MALFORMED_METER_ID', field: 'meterId', reason: idProblem };
  if (!Number.isSafeInteger(reading.readAtMs) || reading.readAtMs < 0 || reading.readAtMs > LATEST_READING_MS) {
    return { code: 'MALFORMED_TIMESTAMP', field: 'readAtMs', reason: 'must be an integer number of epoch milliseconds between 1970 and 9999' };
  }
  if (typeof reading.registerWh !== 'bigint') return { code: 'MALFORMED_NUMBER', field: 'registerWh', reason: 'must be an integer number of Wh' };
  if (reading.registerWh < 0n || reading.registerWh > MAX_ABS_WH) return { code: 'MALFORMED_NUMBER', field: 'registerWh', reason: 'must lie between 0 and 10^18 Wh' };
  const final = reading.previousMeterFinalWh;
  if (final !== undefined && (typeof final !== 'bigint' || final < 0n || final > MAX_ABS_WH)) {
    return { code: 'MALFORMED_NUMBER', field: 'previousMeterFinalWh', reason: 'must be an integer number of Wh between 0 and 10^18' };
  }
  return null;
}

function errorOf(reading: RegisterSplitReading, position: number, code: RegisterReadingErrorCode, field: string, reason: string): RegisterReadingError {
  const index = reading.index ?? position;
  const raw = (reading as unknown as Record<string, unknown>)[field];
  const value = typeof raw === 'bigint' || typeof raw === 'number' || typeof raw === 'string' ? String(raw).slice(0, 128) : typeof raw;
  return { index, meterId: String(reading.meterId).slice(0, 128), code, field: `readings[${index}].${field}`, value, reason };
}
