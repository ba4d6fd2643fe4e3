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
/** An entry's keys; each starts with a letter no other one does. */
const enum EntryKey {
  MeterId,
  PeriodId,
  EnergyWh,
  Quality,
}
const ENTRY_KEY_BYTES: readonly Uint8Array[] = [ascii('meterId'), ascii('periodId'), ascii('energyWh'), ascii('quality')];
const ENTRY_KEY_BY_FIRST_BYTE: (EntryKey | undefined)[] = new Array(256).fill(undefined);
ENTRY_KEY_BYTES.forEach((bytes, key) => (ENTRY_KEY_BY_FIRST_BYTE[bytes[0]] = key as EntryKey));
const TOP_KEYS: readonly [TopKey, Uint8Array][] = [
  [TopKey.Intervals, ascii('intervals')],
  [TopKey.Mpo, ascii('mpo')],
  [TopKey.PeriodLength, ascii('periodLength')],
  [TopKey.BatchRef, ascii('batchRef')],
];
/**
 * The bigints of the usual quarter-hour energies, made once: a household's quarter hour is a
 * few hundred Wh, and a bigint a value was a fifth of what the scan allocated.
 */
const SMALL_WH_LIMIT = 1 << 16;
const SMALL_WH: (bigint | undefined)[] = new Array<bigint | undefined>(SMALL_WH_LIMIT).fill(undefined);

/** 2^53: below it, a decimal integer is exact in a double. */
const SAFE_DIGITS = 15;

function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

/**
 * The domain's meter id rule as a byte table: 2 where a byte may start an id, 1 where it may
 * only follow (derived from isMeterPointId, so the two cannot drift apart).
 */
const METER_ID_BYTE = new Uint8Array(256);
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

  /**
   * The interval array, as columns; period ids by index into the few distinct ones. Each key
   * and value is read in one pass over its bytes, checked as it is read (a meter id against
   * the id rule, a period against the last one, digits as they are summed).
   */
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
        const key = this.entryKey();
        this.expect(COLON);
        this.skipSpace();
        if (this.b[this.at] !== QUOTE) throw NOT_FAST;
        this.at += 1;
        if (key === EntryKey.MeterId) {
          if (meterId !== undefined) throw NOT_FAST;
          meterId = this.meterId();
        } else if (key === EntryKey.PeriodId) {
          if (period !== -1) throw NOT_FAST;
          if (lastPeriod >= 0 && this.takeString(this.b, lastPeriodStart, lastPeriodEnd - lastPeriodStart)) period = lastPeriod;
          else {
            this.at -= 1;
            this.string();
            const text = latin1(this.b, this.start, this.end);
            period = columns.periods.indexOf(text);
            if (period < 0) {
              if (columns.periods.length >= 1000) throw NOT_FAST;
              period = columns.periods.push(text) - 1;
            }
            lastPeriod = period;
            lastPeriodStart = this.start;
            lastPeriodEnd = this.end;
          }
        } else if (key === EntryKey.EnergyWh) {
          if (energyWh !== undefined) throw NOT_FAST;
          energyWh = this.wh();
        } else {
          if (quality !== undefined) throw NOT_FAST;
          quality = this.quality();
        }
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

  /** An entry's key with its quotes, told by its first letter and then checked whole: anything else gives way. */
  private entryKey(): EntryKey {
    this.skipSpace();
    const b = this.b;
    const at = this.at;
    if (b[at] !== QUOTE) throw NOT_FAST;
    const key = ENTRY_KEY_BY_FIRST_BYTE[b[at + 1]];
    if (key === undefined) throw NOT_FAST;
    this.at = at + 1;
    const bytes = ENTRY_KEY_BYTES[key];
    if (!this.takeString(bytes, 0, bytes.length)) throw NOT_FAST;
    return key;
  }

  private topKey(): TopKey {
    this.string();
    for (const [key, bytes] of TOP_KEYS) if (this.keyIs(this.start, this.end, bytes)) return key;
    throw NOT_FAST;
  }

  /**
   * A meter id by the domain's rule (1–64 characters, letters and digits first), read from
   * after its opening quote through its closing one. The rule's bytes are printable ASCII
   * without quote or backslash, so the id ends at the first byte outside it, which must be
   * the quote.
   */
  private meterId(): string {
    const b = this.b;
    const start = this.at;
    if (METER_ID_BYTE[b[start]] !== 2) throw NOT_FAST;
    let hash = b[start];
    let i = start + 1;
    // Past the end the byte is undefined, and so is its entry: the loop stops there too.
    while (METER_ID_BYTE[b[i]] > 0) {
      hash = (Math.imul(hash, 31) + b[i]) | 0;
      i += 1;
    }
    if (b[i] !== QUOTE || i - start > 64) throw NOT_FAST;
    this.at = i + 1;
    return knownMeterId(b, start, i, hash);
  }

  /**
   * Whether the string's content from here is `length` bytes of `source` from `sourceStart`,
   * then its closing quote; if so, both are consumed.
   */
  private takeString(source: Uint8Array, sourceStart: number, length: number): boolean {
    if (this.b[this.at + length] !== QUOTE || !sameBytes(this.b, this.at, source, sourceStart, length)) return false;
    this.at += length + 1;
    return true;
  }

  /** `0|[1-9][0-9]{0,18}`, at most 10^18 (parseNonNegativeWh), through the closing quote. */
  private wh(): bigint {
    const b = this.b;
    const start = this.at;
    let value = 0;
    let i = start;
    for (;;) {
      const digit = b[i] - 0x30;
      if (!(digit >= 0 && digit <= 9)) break;
      value = value * 10 + digit;
      i += 1;
    }
    const length = i - start;
    if (b[i] !== QUOTE || length < 1 || length > 19 || (b[start] === 0x30 && length > 1)) throw NOT_FAST;
    this.at = i + 1;
    if (length <= SAFE_DIGITS) return value < SMALL_WH_LIMIT ? (SMALL_WH[value] ??= BigInt(value)) : BigInt(value);
    const wh = BigInt(latin1(b, start, i));
    if (wh > MAX_ABS_WH) throw NOT_FAST;
    return wh;
  }

  /** One of the quality names, through the closing quote. */
  private quality(): Quality {
    for (const [quality, bytes] of QUALITY_BYTES) if (this.takeString(bytes, 0, bytes.length)) return quality;
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
    // Compact JSON has none: one comparison for the usual byte.
    if (b[i] > 0x20) return;
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

/**
 * The meter ids read lately, by a hash of their bytes (one slot each, the last one read wins):
 * the same meters come batch after batch, and handing out the string read before spares
 * decoding a new one and keeps one string per meter in memory (and its hash for the
 * registry's maps). A slot is used only when its string has exactly the bytes read.
 */
const KNOWN_METER_IDS: (string | undefined)[] = new Array(1 << 18).fill(undefined);
const KNOWN_MASK = (1 << 18) - 1;

function knownMeterId(b: Buffer, start: number, end: number, hash: number): string {
  const slot = hash & KNOWN_MASK;
  const known = KNOWN_METER_IDS[slot];
  if (known !== undefined && known.length === end - start) {
    let i = 0;
    while (i < known.length && known.charCodeAt(i) === b[start + i]) i += 1;
    if (i === known.length) return known;
  }
  const id = latin1(b, start, end);
  KNOWN_METER_IDS[slot] = id;
  return id;
}

/** Buffer's own decoder behind toString('latin1'), without its argument checks (in Node since 0.x). */
type LatinSliced = Buffer & { latin1Slice(start: number, end: number): string };

/** The bytes [start, end) as a string (ASCII: a byte is a character). */
function latin1(bytes: Buffer, start: number, end: number): string {
  return (bytes as LatinSliced).latin1Slice(start, end);
}
