import { MAX_ABS_WH, isMeterPointId, periodLengthMs } from '@gridledger/domain';
import { BatchFormatError, QUALITY_NAMES, parseEnvelope, parsePeriodStart, type BatchLimits, type IntervalValue, type Quality, type ReadingBatch } from './reading-batch';

/**
 * A fast path for the batch every head-end sends: a JSON object of interval values whose
 * fields are plain strings, every value well formed. It reads the bytes once, without
 * building the generic JSON tree and then judging it (JSON.parse and parseReadingBatch were
 * a seventh of the intake's CPU, measured in the service's profile).
 *
 * It answers only when it is sure to answer what `parseReadingBatch(JSON.parse(text))`
 * answers, and null otherwise: any escape, number, literal, nesting, unknown or repeated
 * key, register readings, a broken envelope or a value the slow path would refuse sends
 * the batch down the slow path, which names the field and the reason. So the fast path
 * never decides a refusal; it only skips work for batches with nothing to refuse.
 */
export function scanIntervalBatch(raw: Buffer, limits: BatchLimits): ReadingBatch | null {
  const scanner = new Scanner(raw);
  return scanner.batch(limits);
}

/** The envelope's keys the fast path reads (`readings` and anything else go the slow way). */
const enum TopKey {
  Intervals,
  Mpo,
  PeriodLength,
  BatchRef,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const QUALITY_BYTES: readonly [Quality, Uint8Array][] = QUALITY_NAMES.map((quality) => [quality, ascii(quality)]);
const KEY_METER_ID = ascii('meterId');
const KEY_PERIOD_ID = ascii('periodId');
const KEY_ENERGY_WH = ascii('energyWh');
const KEY_QUALITY = ascii('quality');
const TOP_KEYS: readonly [TopKey, Uint8Array][] = [
  [TopKey.Intervals, ascii('intervals')],
  [TopKey.Mpo, ascii('mpo')],
  [TopKey.PeriodLength, ascii('periodLength')],
  [TopKey.BatchRef, ascii('batchRef')],
];
/** 2^53: below it, a decimal integer is exact in a double. */
const SAFE_DIGITS = 15;

function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

/**
 * The domain's meter id rule as a byte table: 2 where a byte may start an id, 1 where it may
 * only follow (derived from isMeterPointId, so the two cannot drift apart).
 */
const METER_ID_BYTE = new Uint8Array(128);
for (let c = 0; c < 128; c += 1) {
  const ch = String.fromCharCode(c);
  if (isMeterPointId(ch)) METER_ID_BYTE[c] = 2;
  else if (isMeterPointId(`A${ch}`)) METER_ID_BYTE[c] = 1;
}

/** Bytes a string may hold on the fast path: printable ASCII except `"` and `\\` (past the end: undefined). */
const PLAIN_STRING_BYTE = new Uint8Array(256);
for (let c = 0x20; c <= 0x7e; c += 1) if (c !== QUOTE && c !== BACKSLASH) PLAIN_STRING_BYTE[c] = 1;

/** Thrown inside the scanner to give up: the slow path will judge the batch. */
class NotFast {}
const NOT_FAST = new NotFast();

class Scanner {
  private at = 0;
  /** The last string read by string(): its content is [start, end). */
  private start = 0;
  private end = 0;

  constructor(private readonly b: Buffer) {}

  batch(limits: BatchLimits): ReadingBatch | null {
    try {
      return this.envelope(limits);
    } catch (error) {
      if (error === NOT_FAST) return null;
      throw error;
    }
  }

  private envelope(limits: BatchLimits): ReadingBatch | null {
    this.expect(OPEN_BRACE);
    const seen = new Set<TopKey>();
    let mpoText: string | undefined;
    let periodLengthText: string | undefined;
    let batchRefText: string | undefined;
    let entries: Entries | undefined;
    if (this.peek() === CLOSE_BRACE) throw NOT_FAST;
    for (;;) {
      const key = this.topKey();
      if (seen.has(key)) throw NOT_FAST;
      seen.add(key);
      this.expect(COLON);
      if (key === TopKey.Intervals) entries = this.entries(limits);
      else {
        this.string();
        const text = latin1(this.b, this.start, this.end);
        if (key === TopKey.Mpo) mpoText = text;
        else if (key === TopKey.PeriodLength) periodLengthText = text;
        else batchRefText = text;
      }
      const next = this.next();
      if (next === CLOSE_BRACE) break;
      if (next !== COMMA) throw NOT_FAST;
    }
    this.skipSpace();
    if (this.at !== this.b.length || entries === undefined) throw NOT_FAST;

    // The envelope as parseReadingBatch judges it; anything it would refuse goes its way.
    let envelope: Pick<ReadingBatch, 'mpo' | 'periodLength' | 'batchRef'>;
    try {
      envelope = parseEnvelope({ mpo: mpoText, periodLength: periodLengthText, batchRef: batchRefText });
    } catch (error) {
      if (error instanceof BatchFormatError) return null;
      throw error;
    }
    const { mpo, periodLength, batchRef } = envelope;
    const periodMs = periodLengthMs(periodLength);
    const starts: number[] = [];
    for (const periodId of entries.periods) {
      const start = parsePeriodStart(periodId, periodMs);
      if (start === null) return null;
      starts.push(start);
    }
    const intervals: IntervalValue[] = new Array<IntervalValue>(entries.meterIds.length);
    for (let index = 0; index < intervals.length; index += 1) {
      const period = entries.periodOf[index];
      intervals[index] = { index, meterId: entries.meterIds[index], periodId: entries.periods[period], periodStartMs: starts[period], energyWh: entries.energyWh[index], quality: entries.quality[index] };
    }
    return { mpo, periodLength, batchRef, intervals, readings: [], rejections: [], entryCount: intervals.length };
  }

  /** The interval array, as columns; period ids by index into the few distinct ones. */
  private entries(limits: BatchLimits): Entries {
    this.expect(OPEN_BRACKET);
    const columns: Entries = { meterIds: [], periods: [], periodOf: [], energyWh: [], quality: [] };
    if (this.peek() === CLOSE_BRACKET) throw NOT_FAST;
    let lastPeriod = -1;
    let lastPeriodStart = 0;
    let lastPeriodEnd = 0;
    for (;;) {
      if (columns.meterIds.length >= limits.maxEntries) throw NOT_FAST;
      this.expect(OPEN_BRACE);
      let meterId: string | undefined;
      let period = -1;
      let energyWh: bigint | undefined;
      let quality: Quality | undefined;
      for (;;) {
        this.string();
        const keyStart = this.start;
        const keyEnd = this.end;
        this.expect(COLON);
        this.string();
        const { start, end } = this;
        if (this.keyIs(keyStart, keyEnd, KEY_METER_ID)) {
          if (meterId !== undefined) throw NOT_FAST;
          meterId = this.meterId(start, end);
        } else if (this.keyIs(keyStart, keyEnd, KEY_PERIOD_ID)) {
          if (period !== -1) throw NOT_FAST;
          if (lastPeriod >= 0 && this.sameBytes(start, end, lastPeriodStart, lastPeriodEnd)) period = lastPeriod;
          else {
            const text = latin1(this.b, start, end);
            period = columns.periods.indexOf(text);
            if (period < 0) {
              if (columns.periods.length >= 1000) throw NOT_FAST;
              period = columns.periods.push(text) - 1;
            }
            lastPeriod = period;
            lastPeriodStart = start;
            lastPeriodEnd = end;
          }
        } else if (this.keyIs(keyStart, keyEnd, KEY_ENERGY_WH)) {
          if (energyWh !== undefined) throw NOT_FAST;
          energyWh = this.wh(start, end);
        } else if (this.keyIs(keyStart, keyEnd, KEY_QUALITY)) {
          if (quality !== undefined) throw NOT_FAST;
          quality = this.quality(start, end);
        } else throw NOT_FAST;
        const next = this.next();
        if (next === CLOSE_BRACE) break;
        if (next !== COMMA) throw NOT_FAST;
      }
      if (meterId === undefined || period === -1 || energyWh === undefined) throw NOT_FAST;
      columns.meterIds.push(meterId);
      columns.periodOf.push(period);
      columns.energyWh.push(energyWh);
      columns.quality.push(quality ?? 'measured');
      const next = this.next();
      if (next === CLOSE_BRACKET) return columns;
      if (next !== COMMA) throw NOT_FAST;
    }
  }

  private topKey(): TopKey {
    this.string();
    for (const [key, bytes] of TOP_KEYS) if (this.keyIs(this.start, this.end, bytes)) return key;
    throw NOT_FAST;
  }

  /** A meter id by the domain's rule (1–64 characters, letters and digits first). */
  private meterId(start: number, end: number): string {
    const b = this.b;
    const length = end - start;
    if (length < 1 || length > 64 || METER_ID_BYTE[b[start]] !== 2) throw NOT_FAST;
    for (let i = start + 1; i < end; i += 1) if (METER_ID_BYTE[b[i]] === 0) throw NOT_FAST;
    return latin1(b, start, end);
  }

  /** `0|[1-9][0-9]{0,18}`, at most 10^18 (parseNonNegativeWh). */
  private wh(start: number, end: number): bigint {
    const b = this.b;
    const length = end - start;
    if (length < 1 || length > 19 || (b[start] === 0x30 && length > 1)) throw NOT_FAST;
    if (length > SAFE_DIGITS) {
      for (let i = start; i < end; i += 1) if (b[i] < 0x30 || b[i] > 0x39) throw NOT_FAST;
      const wh = BigInt(latin1(b, start, end));
      if (wh > MAX_ABS_WH) throw NOT_FAST;
      return wh;
    }
    let value = 0;
    for (let i = start; i < end; i += 1) {
      const digit = b[i] - 0x30;
      if (digit < 0 || digit > 9) throw NOT_FAST;
      value = value * 10 + digit;
    }
    return BigInt(value);
  }

  private quality(start: number, end: number): Quality {
    for (const [quality, bytes] of QUALITY_BYTES) if (this.keyIs(start, end, bytes)) return quality;
    throw NOT_FAST;
  }

  /**
   * A string's content as [start, end): no escapes (a backslash gives up), no control
   * characters (JSON.parse refuses them; the slow path says so), printable ASCII only, so
   * a byte is a character.
   */
  private string(): void {
    const b = this.b;
    this.skipSpace();
    if (b[this.at] !== QUOTE) throw NOT_FAST;
    const start = this.at + 1;
    let i = start;
    // One table load a byte: printable ASCII other than the quote and the backslash goes on.
    while (PLAIN_STRING_BYTE[b[i]] === 1) i += 1;
    if (b[i] !== QUOTE) throw NOT_FAST;
    this.at = i + 1;
    this.start = start;
    this.end = i;
  }

  /** Whether the bytes [start, end) are `key`. */
  private keyIs(start: number, end: number, key: Uint8Array): boolean {
    return end - start === key.length && sameBytes(this.b, start, key, 0, key.length);
  }

  /** Whether the bytes [start, end) are the same as [otherStart, otherEnd). */
  private sameBytes(start: number, end: number, otherStart: number, otherEnd: number): boolean {
    return end - start === otherEnd - otherStart && sameBytes(this.b, start, this.b, otherStart, end - start);
  }

  /** The next byte that is not JSON white space, consumed. */
  private next(): number {
    this.skipSpace();
    if (this.at >= this.b.length) throw NOT_FAST;
    return this.b[this.at++];
  }

  private peek(): number {
    this.skipSpace();
    return this.b[this.at];
  }

  private expect(byte: number): void {
    if (this.next() !== byte) throw NOT_FAST;
  }

  /** JSON's white space: space, tab, line feed, carriage return. */
  private skipSpace(): void {
    const b = this.b;
    let i = this.at;
    for (;;) {
      const c = b[i];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i += 1;
    }
    this.at = i;
  }
}

interface Entries {
  readonly meterIds: string[];
  /** The distinct period ids, in the order first seen. */
  readonly periods: string[];
  readonly periodOf: number[];
  readonly energyWh: bigint[];
  readonly quality: Quality[];
}

function sameBytes(a: Uint8Array, aStart: number, b: Uint8Array, bStart: number, length: number): boolean {
  for (let i = 0; i < length; i += 1) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/** Buffer's own decoder behind toString('latin1'), without its argument checks (in Node since 0.x). */
type LatinSliced = Buffer & { latin1Slice(start: number, end: number): string };

/** The bytes [start, end) as a string (ASCII: a byte is a character). */
function latin1(bytes: Buffer, start: number, end: number): string {
  return (bytes as LatinSliced).latin1Slice(start, end);
}
