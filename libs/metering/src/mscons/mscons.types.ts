import { PeriodId, WattHours } from '@gridledger/domain';
import { ServiceCharacters } from './edifact-syntax';
import { MsconsError } from './mscons.error';

/** Quality of an interval value, from the QTY qualifier (6063). */
export type IntervalQuality = 'measured' | 'estimated' | 'substituted';

/** One accepted value: the energy of one settlement period. */
export interface MsconsIntervalValue {
  readonly periodId: PeriodId;
  /** The period start in epoch ms (the same instant as periodId), for callers that compute. */
  readonly periodStartMs: number;
  readonly energyWh: WattHours;
  readonly quality: IntervalQuality;
  /** The QTY segment the value came from (the first one when several were summed). */
  readonly segmentNumber: number;
  /** How many stated values make up this period: 1, or more when finer values were summed. */
  readonly sourceValues: number;
}

/**
 * A period whose value was not taken exactly as stated (see interval-alignment.ts): a value
 * realigned onto its period, or several values that together cover one period summed.
 */
export interface MsconsRealignedInterval {
  /** The QTY segment (the first one when values were summed). */
  readonly segmentNumber: number;
  readonly periodId: PeriodId;
  readonly action: 'realigned' | 'aggregated';
  /** Stated values involved: 1 when realigned, the count when summed. */
  readonly values: number;
  /** The start and end as the file stated them, in UTC. */
  readonly statedStart: string;
  readonly statedEnd: string;
  readonly reason: string;
}

export type QuarantineCode =
  | 'START_NOT_ALIGNED'
  | 'END_NOT_AFTER_START'
  | 'SPANS_SEVERAL_PERIODS'
  | 'IRREGULAR_RUN'
  | 'DUPLICATE_PERIOD'
  | 'CONFLICTING_DUPLICATE'
  | 'UNSUPPORTED_QUALIFIER'
  | 'NEGATIVE_ENERGY';

/** A value the parser read correctly but will not put on the grid; never silently dropped. */
export interface MsconsQuarantinedInterval {
  readonly segmentNumber: number;
  readonly code: QuarantineCode;
  readonly reason: string;
  readonly statedStart: string;
  readonly statedEnd: string;
  readonly energyWh: WattHours;
  /** The QTY qualifier as written (220, 67, 201, or whatever the file said). */
  readonly qualifier: string;
}

/** Periods of the declared range with no accepted value: [from, to), `periods` of them. */
export interface MsconsMissingRange {
  readonly from: PeriodId;
  /** Exclusive end instant. */
  readonly to: string;
  readonly periods: number;
}

/**
 * One metering point (LOC+172) and one of its line items (LIN, identified by the PIA
 * product id, usually an OBIS code). A location with two registers yields two entries.
 */
export interface MsconsLocation {
  readonly meterId: string;
  readonly obis: string | null;
  /** The LOC segment. */
  readonly segmentNumber: number;
  /** The period the location declares (DTM+163/164 right after LOC), if it does. */
  readonly declaredStart: string | null;
  readonly declaredEnd: string | null;
  /** Accepted values, ordered by period. */
  readonly intervals: readonly MsconsIntervalValue[];
  readonly realigned: readonly MsconsRealignedInterval[];
  readonly quarantined: readonly MsconsQuarantinedInterval[];
  /** Periods of the declared range without an accepted value (quarantined or never sent). */
  readonly missing: readonly MsconsMissingRange[];
  /** Sum of `intervals` (quarantined values excluded). */
  readonly totalWh: WattHours;
}

export interface MsconsMessage {
  /** UNH message reference (0062). */
  readonly reference: string;
  /** BGM document number (1004), if present. */
  readonly documentNumber: string | null;
  readonly segmentNumber: number;
  readonly locations: readonly MsconsLocation[];
}

/** A message that failed as a whole: none of its values are in the result. */
export interface MsconsRejectedMessage {
  readonly reference: string | null;
  readonly segmentNumber: number;
  readonly error: MsconsError;
}

export interface MsconsInterchange {
  readonly serviceCharacters: ServiceCharacters;
  /** UNB syntax identifier (e.g. UNOC) and version. */
  readonly syntaxIdentifier: string;
  readonly sender: string;
  readonly recipient: string;
  readonly controlReference: string;
  readonly messages: readonly MsconsMessage[];
  readonly rejectedMessages: readonly MsconsRejectedMessage[];
  readonly segmentCount: number;
}
