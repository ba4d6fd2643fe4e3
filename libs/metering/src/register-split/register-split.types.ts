import { PeriodId, WattHours } from '@gridledger/domain';

/**
 * A cumulative register reading. Structurally the same as the intake's `RegisterReading`
 * (plus the optional final value of a replaced meter), so a parsed batch goes straight in.
 */
export interface RegisterSplitReading {
  readonly meterId: string;
  readonly readAtMs: number;
  readonly registerWh: WattHours;
  /**
   * A meter exchange: this reading is the new meter's first. Its register may be lower than
   * the old one's; the series continues from here instead of being refused as backwards.
   */
  readonly meterExchange?: boolean;
  /**
   * With `meterExchange`: the old meter's final register value at the exchange instant. With
   * it, the energy up to the exchange is known and no period is lost; without it, the span
   * from the last reading to the exchange is reported as a gap.
   */
  readonly previousMeterFinalWh?: WattHours;
  /** Position in the submitted batch, for answers that point at the entry; defaults to the array index. */
  readonly index?: number;
}

/** A point of a meter's cumulative energy curve: an instant and the register value there. */
export interface RegisterPoint {
  readonly atMs: number;
  readonly registerWh: WattHours;
}

/**
 * What the split remembers about a meter between batches: the service persists it and passes
 * it back in, which is how a later reading completes a partial period or fills a gap.
 */
export interface RegisterSeriesState {
  readonly meterId: string;
  readonly lastReading: RegisterPoint;
  /**
   * Energy has been emitted up to here: a period boundary with the register value
   * interpolated there (integer Wh, rounded down), or the series' first reading while the
   * series has not yet crossed a boundary. Register units are the current meter's.
   */
  readonly anchor: RegisterPoint;
  /**
   * True when the energy between the anchor and the last reading was interpolated across a
   * span longer than `maxGapMs`, so the period completed next is estimated. Absent = false.
   */
  readonly sinceAnchorEstimated?: boolean;
}

export interface SplitInterval {
  readonly meterId: string;
  readonly periodId: PeriodId;
  readonly periodStartMs: number;
  readonly energyWh: WattHours;
  /** `estimated` when part of the period was interpolated across a span longer than `maxGapMs`. */
  readonly quality: 'measured' | 'estimated';
}

export type RegisterGapReason =
  /**
   * Two consecutive readings further apart than `maxGapMs`: the span was missing data until
   * the later reading filled it; its periods are interpolated and marked estimated.
   */
  | 'LONG_SPAN_INTERPOLATED'
  /** Two consecutive readings further apart than `maxSpanMs`: not split, the delta is reported. */
  | 'SPAN_TOO_LONG'
  /** A meter exchange without the old meter's final value: the energy up to it is unknown. */
  | 'METER_EXCHANGE_WITHOUT_FINAL_READING'
  /** A series starts inside a period; the energy before its first reading is unknown. */
  | 'PARTIAL_FIRST_PERIOD'
  /** Periods up to `expectedUntilMs` that no reading covers yet. */
  | 'AWAITING_READING';

export interface RegisterGap {
  readonly meterId: string;
  readonly reason: RegisterGapReason;
  readonly fromMs: number;
  readonly toMs: number;
  /** Energy in the gap that is in no emitted period (known but unattributable); null when unknown or when the periods carry it. */
  readonly energyWh: WattHours | null;
}

export type RegisterReadingErrorCode =
  | 'MALFORMED_METER_ID'
  | 'MALFORMED_TIMESTAMP'
  | 'MALFORMED_NUMBER'
  | 'REGISTER_BACKWARDS'
  | 'CONFLICTING_DUPLICATE'
  | 'BEFORE_LAST_KNOWN_READING';

export interface RegisterReadingError {
  readonly index: number;
  readonly meterId: string;
  readonly code: RegisterReadingErrorCode;
  /** e.g. `readings[3].registerWh` */
  readonly field: string;
  readonly value: string;
  readonly reason: string;
}

export interface RegisterSplitOptions {
  /** Per meter, the state returned by the previous split (from the service's store). */
  readonly previous?: ReadonlyMap<string, RegisterSeriesState>;
  /** Longer spans between two readings are reported as gaps and their periods marked estimated. Default 24 h. */
  readonly maxGapMs?: number;
  /** Longer spans are not split at all (bounded work; months of interpolation mean nothing). Default 31 days. */
  readonly maxSpanMs?: number;
  /** At most this many periods per call (bounded memory); readings beyond are refused. Default 5,000,000. */
  readonly maxPeriods?: number;
  /** Report periods before this instant that no reading covers yet as AWAITING_READING gaps. */
  readonly expectedUntilMs?: number;
}

export interface RegisterSplitResult {
  /** Whole periods only, per meter in time order, meters in order of first appearance. */
  readonly intervals: SplitInterval[];
  readonly gaps: RegisterGap[];
  /** Readings refused; the others went through. */
  readonly errors: RegisterReadingError[];
  /** The new state of every meter seen (to persist and pass in next time). */
  readonly states: RegisterSeriesState[];
}
