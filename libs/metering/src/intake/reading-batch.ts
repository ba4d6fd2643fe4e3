import { getAddress } from 'ethers';
import { DEFAULT_PERIOD_LENGTH, MAX_ABS_WH, isPeriodLength, meterPointIdProblem, periodLengthMs, type PeriodLength } from '@gridledger/domain';
import { rejection, type Rejection } from '../validation/rejection';

/**
 * The JSON batch an MPO submits (HTTP body or NATS request), signed as a whole by an EIP-712
 * signed request (headers, docs/trust.md) whose signer is the MPO:
 *
 *   { mpo?, periodLength?, batchRef?, intervals?: [...], readings?: [...] }   (mpo, if given, must be the signer)
 *
 * intervals: { meterId, periodId, energyWh, quality? }   (energy of one period, as given)
 * readings:  { meterId, readAt, registerWh, meterExchange?, previousMeterFinalWh? }   (cumulative register)
 *
 * The envelope must be right or the batch is refused (BatchFormatError → 400). Each entry is
 * judged on its own: a broken entry becomes a Rejection and the rest go through.
 */
export type Quality = 'measured' | 'estimated' | 'substituted';

export interface IntervalValue {
  /** Position in the submitted array, for answers that point at the entry. */
  readonly index: number;
  readonly meterId: string;
  readonly periodId: string;
  readonly periodStartMs: number;
  readonly energyWh: bigint;
  readonly quality: Quality;
  /** Where an answer should point for this value; default `intervals[index]`. */
  readonly path?: string;
}

export interface RegisterReading {
  readonly index: number;
  readonly meterId: string;
  readonly readAtMs: number;
  readonly registerWh: bigint;
  /** Declared meter exchange: the register restarts here, so going backwards is allowed. */
  readonly meterExchange: boolean;
  /** With an exchange: the old meter's final register value at this instant, if known. */
  readonly previousMeterFinalWh?: bigint;
}

export interface ReadingBatch {
  /** The MPO the body names, if it names one (the signer is the MPO either way). */
  readonly mpo: string | null;
  readonly periodLength: PeriodLength;
  readonly batchRef: string | null;
  readonly intervals: readonly IntervalValue[];
  readonly readings: readonly RegisterReading[];
  /** Entries refused while parsing. */
  readonly rejections: readonly Rejection[];
  readonly entryCount: number;
}

export class BatchFormatError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'BatchFormatError';
  }
}

export interface BatchLimits {
  readonly maxEntries: number;
}
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxEntries: 50_000 };

const TOP_LEVEL_KEYS = new Set(['mpo', 'periodLength', 'batchRef', 'intervals', 'readings']);
const INTERVAL_KEYS = new Set(['meterId', 'periodId', 'energyWh', 'quality']);
const READING_KEYS = new Set(['meterId', 'readAt', 'registerWh', 'meterExchange', 'previousMeterFinalWh']);
/** The qualities a value may carry (the batch scanner matches the same names). */
export const QUALITY_NAMES: readonly Quality[] = ['measured', 'estimated', 'substituted'];
const QUALITIES = new Set<string>(QUALITY_NAMES);
const WH_TEXT = /^(0|[1-9][0-9]{0,18})$/;
const PERIOD_TEXT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):00Z$/;
const INSTANT_TEXT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/;
const ADDRESS_TEXT = /^0x[0-9a-fA-F]{40}$/;
// The domain's meter id rule (meterPointIdProblem explains a refusal).
const METER_ID_TEXT = /^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$/;
const BATCH_REF_TEXT = /^[\x20-\x7e]{1,128}$/;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks an Ethereum address and returns its EIP-55 form; mixed case must be a valid checksum. */
export function checksumAddress(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ADDRESS_TEXT.test(value)) throw new BatchFormatError(field, 'must be a 20-byte 0x-hex address');
  // A registration names the same MPO and DSO thousands of times; keccak per name is not free.
  const known = checkedAddresses.get(value);
  if (known !== undefined) return known;
  let checksummed: string;
  try {
    checksummed = getAddress(value);
  } catch {
    throw new BatchFormatError(field, 'address has a wrong EIP-55 checksum');
  }
  if (checkedAddresses.size >= 10_000) checkedAddresses.clear();
  checkedAddresses.set(value, checksummed);
  return checksummed;
}

const checkedAddresses = new Map<string, string>();

/** The envelope's fields besides the entries (absent ones defaulted); BatchFormatError names a broken one. */
export function parseEnvelope(fields: { readonly mpo?: unknown; readonly periodLength?: unknown; readonly batchRef?: unknown }): Pick<ReadingBatch, 'mpo' | 'periodLength' | 'batchRef'> {
  const mpo = fields.mpo === undefined ? null : checksumAddress(fields.mpo, 'mpo');
  const periodLength = fields.periodLength === undefined ? DEFAULT_PERIOD_LENGTH : fields.periodLength;
  if (!isPeriodLength(periodLength)) throw new BatchFormatError('periodLength', 'must be PT15M or PT60M');
  const batchRef = fields.batchRef === undefined ? null : fields.batchRef;
  if (batchRef !== null && (typeof batchRef !== 'string' || !BATCH_REF_TEXT.test(batchRef))) {
    throw new BatchFormatError('batchRef', 'must be 1 to 128 printable ASCII characters');
  }
  return { mpo, periodLength, batchRef };
}

export function parseReadingBatch(body: unknown, limits: BatchLimits = DEFAULT_BATCH_LIMITS): ReadingBatch {
  if (!isPlainObject(body)) throw new BatchFormatError('(body)', 'must be a JSON object');
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw new BatchFormatError(key, 'unknown field');
  }
  const { mpo, periodLength, batchRef } = parseEnvelope(body);
  const hasIntervals = body.intervals !== undefined;
  const hasReadings = body.readings !== undefined;
  if (hasIntervals === hasReadings) throw new BatchFormatError('intervals|readings', 'exactly one of intervals or readings is required');
  const field = hasIntervals ? 'intervals' : 'readings';
  const entries = hasIntervals ? body.intervals : body.readings;
  if (!Array.isArray(entries)) throw new BatchFormatError(field, 'must be an array');
  if (entries.length === 0) throw new BatchFormatError(field, 'must not be empty');
  if (entries.length > limits.maxEntries) throw new BatchFormatError(field, `at most ${limits.maxEntries} entries per batch`);

  const rejections: Rejection[] = [];
  const intervals: IntervalValue[] = [];
  const readings: RegisterReading[] = [];
  const periods = new PeriodStartCache(periodLengthMs(periodLength));
  for (let index = 0; index < entries.length; index += 1) {
    if (hasIntervals) {
      const value = parseIntervalEntry(entries[index], index, periodLength, periods, rejections);
      if (value) intervals.push(value);
    } else {
      const reading = parseReadingEntry(entries[index], index, rejections);
      if (reading) readings.push(reading);
    }
  }
  return { mpo, periodLength, batchRef, intervals, readings, rejections, entryCount: entries.length };
}

function entryMeterId(entry: Record<string, unknown>, path: string, rejections: Rejection[]): string | null {
  const problem = meterPointIdProblem(entry.meterId);
  if (problem === null) return entry.meterId as string;
  rejections.push(rejection('MALFORMED_METER_ID', null, `${path}.meterId`, entry.meterId, `meterId ${problem}`));
  return null;
}

function unknownKey(entry: Record<string, unknown>, allowed: Set<string>): string | null {
  for (const key in entry) if (!allowed.has(key)) return key;
  return null;
}

function parseIntervalEntry(entry: unknown, index: number, periodLength: PeriodLength, periods: PeriodStartCache, rejections: Rejection[]): IntervalValue | null {
  // Paths are built only when something is refused: this runs for every value of a batch.
  if (!isPlainObject(entry)) {
    rejections.push(rejection('MALFORMED_ENTRY', null, `intervals[${index}]`, entry, 'entry must be an object with meterId, periodId, energyWh'));
    return null;
  }
  const meterId = entry.meterId;
  if (typeof meterId !== 'string' || !METER_ID_TEXT.test(meterId)) {
    entryMeterId(entry, `intervals[${index}]`, rejections);
    return null;
  }
  const extra = unknownKey(entry, INTERVAL_KEYS);
  if (extra !== null) {
    rejections.push(rejection('MALFORMED_ENTRY', meterId, `intervals[${index}].${extra}`, entry[extra], 'unknown field'));
    return null;
  }
  const periodStartMs = periods.startOf(entry.periodId);
  if (periodStartMs === null) {
    rejections.push(rejection('MALFORMED_TIMESTAMP', meterId, `intervals[${index}].periodId`, entry.periodId, `periodId must be a UTC period start like 2026-03-29T01:00:00Z aligned to ${periodLength}`));
    return null;
  }
  const energyWh = parseNonNegativeWh(entry.energyWh);
  if (typeof energyWh === 'string') {
    rejections.push(rejection('MALFORMED_NUMBER', meterId, `intervals[${index}].energyWh`, entry.energyWh, energyWh));
    return null;
  }
  const quality = entry.quality === undefined ? 'measured' : entry.quality;
  if (typeof quality !== 'string' || !QUALITIES.has(quality)) {
    rejections.push(rejection('MALFORMED_ENTRY', meterId, `intervals[${index}].quality`, entry.quality, 'quality must be measured, estimated or substituted'));
    return null;
  }
  return { index, meterId, periodId: entry.periodId as string, periodStartMs, energyWh, quality: quality as Quality };
}

/** A batch names few distinct periods: each period id is parsed once per batch. */
class PeriodStartCache {
  private readonly known = new Map<string, number | null>();
  constructor(private readonly periodMs: number) {}

  startOf(value: unknown): number | null {
    if (typeof value !== 'string') return null;
    let start = this.known.get(value);
    if (start === undefined) {
      start = parsePeriodStart(value, this.periodMs);
      if (this.known.size < 10_000) this.known.set(value, start);
    }
    return start;
  }
}

function parseReadingEntry(entry: unknown, index: number, rejections: Rejection[]): RegisterReading | null {
  const path = `readings[${index}]`;
  if (!isPlainObject(entry)) {
    rejections.push(rejection('MALFORMED_ENTRY', null, path, entry, 'entry must be an object with meterId, readAt, registerWh'));
    return null;
  }
  const meterId = entryMeterId(entry, path, rejections);
  if (meterId === null) return null;
  const extra = unknownKey(entry, READING_KEYS);
  if (extra !== null) {
    rejections.push(rejection('MALFORMED_ENTRY', meterId, `${path}.${extra}`, entry[extra], 'unknown field'));
    return null;
  }
  const readAtMs = parseInstant(entry.readAt);
  if (readAtMs === null) {
    rejections.push(rejection('MALFORMED_TIMESTAMP', meterId, `${path}.readAt`, entry.readAt, 'readAt must be an RFC 3339 instant with Z or an offset, e.g. 2026-03-29T01:07:00Z'));
    return null;
  }
  const registerWh = parseNonNegativeWh(entry.registerWh);
  if (typeof registerWh === 'string') {
    rejections.push(rejection('MALFORMED_NUMBER', meterId, `${path}.registerWh`, entry.registerWh, registerWh));
    return null;
  }
  if (entry.meterExchange !== undefined && typeof entry.meterExchange !== 'boolean') {
    rejections.push(rejection('MALFORMED_ENTRY', meterId, `${path}.meterExchange`, entry.meterExchange, 'meterExchange must be true or false'));
    return null;
  }
  let previousMeterFinalWh: bigint | undefined;
  if (entry.previousMeterFinalWh !== undefined) {
    const parsed = parseNonNegativeWh(entry.previousMeterFinalWh);
    if (typeof parsed === 'string' || entry.meterExchange !== true) {
      const reason = typeof parsed === 'string' ? parsed : 'only allowed with meterExchange: true';
      rejections.push(rejection('MALFORMED_NUMBER', meterId, `${path}.previousMeterFinalWh`, entry.previousMeterFinalWh, reason));
      return null;
    }
    previousMeterFinalWh = parsed;
  }
  return { index, meterId, readAtMs, registerWh, meterExchange: entry.meterExchange === true, ...(previousMeterFinalWh === undefined ? {} : { previousMeterFinalWh }) };
}

/** A non-negative Wh value, or the reason it is not one. */
function parseNonNegativeWh(value: unknown): bigint | string {
  if (typeof value !== 'string') return 'must be an integer number of Wh as a decimal string';
  if (!WH_TEXT.test(value)) {
    return value.startsWith('-') ? 'must not be negative' : 'must be an integer number of Wh as a decimal string without sign, spaces or leading zeros';
  }
  const wh = BigInt(value);
  return wh > MAX_ABS_WH ? 'magnitude above 10^18 Wh' : wh;
}

export function parsePeriodStart(value: unknown, periodMs: number): number | null {
  if (typeof value !== 'string') return null;
  const match = PERIOD_TEXT.exec(value);
  if (!match) return null;
  const ms = calendarMs(match);
  return ms !== null && ms % periodMs === 0 ? ms : null;
}

function parseInstant(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = INSTANT_TEXT.exec(value);
  if (!match) return null;
  if (calendarMs(match) === null) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** Wall-clock fields to UTC ms, refusing dates that do not exist (2026-02-30) or odd years. */
function calendarMs(match: RegExpExecArray): number | null {
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(match[i]));
  const second = match[6] === undefined ? 0 : Number(match[6]);
  if (year < 2000 || year > 2199 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  return new Date(ms).getUTCDate() === day ? ms : null;
}
