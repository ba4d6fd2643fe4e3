import { createHash } from 'node:crypto';
import { Direction } from './meter';

/**
 * The manifest of one balancing group's period: what meter-ingest accepted for it, as a
 * count and a digest, overall, per MPO and per batch (docs/integrity.md). A receiver that
 * computes the same count and digest over what it got has got exactly that.
 *
 * The digest is `0x` + SHA-256 over one canonical line per value,
 * `${meterId}|${direction}|${energyWh}\n` (energy as a decimal integer of Wh), the lines
 * sorted by meterId then direction, compared bytewise (meter ids are ASCII by rule, so
 * JavaScript's code-unit order and Postgres' COLLATE "C" agree). The batch a value came in
 * is not in the line: a value belongs to one batch, and the batch digests attribute them.
 * Postgres computes the same digest in SQL (the services' manifest repositories; their
 * integration specs compare both against this function).
 */
export interface ManifestValue {
  readonly meterId: string;
  readonly direction: Direction;
  readonly energyWh: bigint | string;
}

/** What a manifest (or its part) commits to: how many values and their digest. */
export interface ValuesDigest {
  readonly count: number;
  /** 0x + 64 lowercase hex. */
  readonly digest: string;
}

export interface ManifestBatchValue extends ManifestValue {
  readonly mpo: string;
  /** The batch's id: SHA-256 of the signed content, 0x-hex. */
  readonly batchId: string;
  /** The door the batch came through, as signed (EIP-712 MeterBatch.format), e.g. `readings-json`. */
  readonly format: string;
  /** The MPO's signature: of the signed request that submitted the batch (docs/trust.md). */
  readonly signature: string;
  /** What else that request covered (its nonce and body digest are the batchId); absent for batches stored before signed requests. */
  readonly request?: SignedBatchRequest;
}

/** The signed request a batch came in, beside its batchId: enough to recover its signer later. */
export interface SignedBatchRequest {
  readonly method: string;
  /** Path with query (or the NATS subject), exactly as signed. */
  readonly path: string;
  /** Unix seconds, decimal. */
  readonly expiry: string;
  /** Decimal. */
  readonly chainId: string;
  /** The RoleRegistry address of the EIP-712 domain. */
  readonly verifyingContract: string;
}

export interface ManifestBatch extends ValuesDigest {
  readonly batchId: string;
  readonly format: string;
  readonly signature: string;
  readonly request?: SignedBatchRequest;
}

export interface ManifestMpo extends ValuesDigest {
  readonly mpo: string;
  /** Sorted by batchId. */
  readonly batches: readonly ManifestBatch[];
}

export interface GroupPeriodManifestDigests extends ValuesDigest {
  /** Sorted by mpo (bytewise). */
  readonly perMpo: readonly ManifestMpo[];
}

export function manifestLine(value: ManifestValue): string {
  return `${value.meterId}|${value.direction}|${value.energyWh.toString()}\n`;
}

/** The canonical order: meterId, then direction, bytewise. */
export function compareManifestValues(a: ManifestValue, b: ManifestValue): number {
  return compareManifestKeys(a.meterId, a.direction, b.meterId, b.direction);
}

/** `compareManifestValues` on the keys alone, for callers holding columns rather than objects. */
export function compareManifestKeys(meterA: string, directionA: Direction, meterB: string, directionB: Direction): number {
  if (meterA !== meterB) return meterA < meterB ? -1 : 1;
  return directionA < directionB ? -1 : directionA > directionB ? 1 : 0;
}

/** SHA-256 over nothing: the digest of a group-period meter-ingest accepted no value for. */
export const EMPTY_VALUES_DIGEST = `0x${createHash('sha256').digest('hex')}`;

/** Bytes of lines hashed (and, when kept, stored) at a time. */
const DIGEST_CHUNK_BYTES = 65_536;
const PIPE = 0x7c;
const NEWLINE = 0x0a;
const MINUS = 0x2d;
const ZERO = 0x30;

/**
 * The values digest fed one value at a time, in the canonical order (the caller's duty:
 * from a sorted scan, or after sorting). Each line is written as bytes straight into a chunk
 * of about 64 KiB, which is hashed (and kept, when asked) once full: building the lines as
 * strings allocated about 220 bytes per value (the line, its energy's decimal text, the
 * concatenation), a fifth of everything intake allocated per batch. The bytes are the lines'
 * UTF-8, as `manifestLine` gives them (the spec compares both).
 */
export class ValuesDigester {
  private readonly hash = createHash('sha256');
  /**
   * Lent by `spareChunk` and given back by `result`: intake digests each group-period of a
   * batch apart (20 a batch), and a new 64 KiB chunk for each was a fifth of the memory
   * outside the heap it allocated per batch, which is what set off most young collections.
   */
  private chunk = takeSpareChunk();
  private at = 0;
  private counted = 0;
  /** The hashed bytes, kept when the digester was asked to (ValuesSegment). */
  private readonly kept: Buffer[] | null;

  constructor(options: { keepLines?: boolean } = {}) {
    this.kept = options.keepLines ? [] : null;
  }

  add(meterId: string, direction: Direction, energyWh: bigint | string): void {
    const energy = typeof energyWh === 'bigint' && energyWh <= MAX_SAFE_WH && energyWh >= -MAX_SAFE_WH ? Number(energyWh) : String(energyWh);
    // At most 3 bytes of UTF-8 per UTF-16 unit; a safe integer has at most 16 digits and a sign.
    const most = 3 * (meterId.length + direction.length) + (typeof energy === 'number' ? 17 : 3 * energy.length) + 3;
    if (this.at + most > this.chunk.length) {
      this.flush();
      if (most > this.chunk.length) this.chunk = Buffer.allocUnsafe(most);
    }
    let at = writeText(this.chunk, this.at, meterId);
    this.chunk[at++] = PIPE;
    at = writeText(this.chunk, at, direction);
    this.chunk[at++] = PIPE;
    at = typeof energy === 'number' ? writeInteger(this.chunk, at, energy) : writeText(this.chunk, at, energy);
    this.chunk[at++] = NEWLINE;
    this.at = at;
    this.counted += 1;
    if (at >= DIGEST_CHUNK_BYTES) this.flush();
  }

  /** Count and digest of what was added (the digester is spent afterwards). */
  result(): ValuesDigest {
    this.flush();
    if (this.chunk.length === DIGEST_CHUNK_BYTES) spareChunk = this.chunk;
    this.chunk = SPENT;
    return { count: this.counted, digest: `0x${this.hash.digest('hex')}` };
  }

  /** The lines hashed so far, when kept. */
  lines(): readonly Buffer[] {
    return this.kept ?? [];
  }

  private flush(): void {
    if (this.at === 0) return;
    const bytes = this.chunk.subarray(0, this.at);
    this.hash.update(bytes);
    // Kept as a copy of exactly its length: a segment's last chunk is mostly empty.
    if (this.kept) this.kept.push(Buffer.from(bytes));
    this.at = 0;
  }
}

/** A spent digester's chunk, for the next one (one digester at a time owns it: taking it clears it). */
let spareChunk: Buffer | undefined;
/** A spent digester's chunk: anything added after `result` gets a chunk of its own. */
const SPENT = Buffer.alloc(0);

function takeSpareChunk(): Buffer {
  const chunk = spareChunk ?? Buffer.allocUnsafe(DIGEST_CHUNK_BYTES);
  spareChunk = undefined;
  return chunk;
}

/** 2^53 − 1: energies within it are written from a double, without their decimal text. */
const MAX_SAFE_WH = BigInt(Number.MAX_SAFE_INTEGER);

/** Writes `text` as UTF-8 at `at` (ASCII byte by byte, the rest by Buffer's encoder); returns the position after it. */
function writeText(buffer: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return at + buffer.write(text, at, 'utf8');
    buffer[at + i] = code;
  }
  return at + text.length;
}

/** Writes a safe integer in decimal at `at`; returns the position after it. */
function writeInteger(buffer: Buffer, at: number, value: number): number {
  if (value < 0) {
    buffer[at++] = MINUS;
    value = -value;
  }
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  for (let i = at + digits - 1; i >= at; i -= 1) {
    buffer[i] = ZERO + (value % 10);
    value = Math.floor(value / 10);
  }
  return at + digits;
}

/**
 * Values of a manifest in canonical order with their lines kept: the digest of several
 * segments together is the digest over their lines in key order (digestOfSegments), without
 * the values. A batch's values of one group-period make one segment.
 */
export interface ValuesSegment extends ValuesDigest {
  /** The first and the last value's key, in canonical order. */
  readonly first: ManifestKey;
  readonly last: ManifestKey;
  /** The canonical lines, as hashed. */
  readonly lines: readonly Buffer[];
  /** Bytes of `lines`. */
  readonly bytes: number;
}

export interface ManifestKey {
  readonly meterId: string;
  readonly direction: Direction;
}

/** valuesDigest of at least one value, with the lines kept. */
export function valuesSegment(values: readonly ManifestValue[]): ValuesSegment {
  if (values.length === 0) throw new RangeError('a segment holds at least one value');
  const ordered = canonicallyOrdered(values);
  const digester = new ValuesDigester({ keepLines: true });
  for (const value of ordered) digester.add(value.meterId, value.direction, value.energyWh);
  const { count, digest } = digester.result();
  const lines = digester.lines();
  const keyOf = (value: ManifestValue): ManifestKey => ({ meterId: value.meterId, direction: value.direction });
  return { count, digest, first: keyOf(ordered[0]), last: keyOf(ordered[ordered.length - 1]), lines, bytes: lines.reduce((sum, chunk) => sum + chunk.length, 0) };
}

/**
 * The count and digest of the union of segments, as valuesDigest computes it from their
 * values: possible when their key ranges do not interleave (head-ends send meter ranges),
 * the lines then follow each other in key order. Null when two ranges overlap: the caller
 * digests the values themselves.
 */
export function digestOfSegments(segments: readonly ValuesSegment[]): ValuesDigest | null {
  if (segments.length === 0) return { count: 0, digest: EMPTY_VALUES_DIGEST };
  const ordered = [...segments].sort((a, b) => compareKeys(a.first, b.first));
  for (let i = 1; i < ordered.length; i += 1) if (compareKeys(ordered[i - 1].last, ordered[i].first) >= 0) return null;
  if (ordered.length === 1) return { count: ordered[0].count, digest: ordered[0].digest };
  const hash = createHash('sha256');
  let count = 0;
  for (const segment of ordered) {
    for (const chunk of segment.lines) hash.update(chunk);
    count += segment.count;
  }
  return { count, digest: `0x${hash.digest('hex')}` };
}

function compareKeys(a: ManifestKey, b: ManifestKey): number {
  return compareManifestKeys(a.meterId, a.direction, b.meterId, b.direction);
}

/** Count and digest of values in any order (they are sorted into the canonical order here). */
export function valuesDigest(values: readonly ManifestValue[]): ValuesDigest {
  const digester = new ValuesDigester();
  for (const value of canonicallyOrdered(values)) digester.add(value.meterId, value.direction, value.energyWh);
  return digester.result();
}

/** The values in canonical order: themselves when they are (head-ends mostly send meters in order: checking costs a comparison per value, a copy and a sort cost about ten). */
function canonicallyOrdered<T extends ManifestValue>(values: readonly T[]): readonly T[] {
  return inCanonicalOrder(values) ? values : [...values].sort(compareManifestValues);
}

function inCanonicalOrder(values: readonly ManifestValue[]): boolean {
  for (let i = 1; i < values.length; i += 1) if (compareManifestValues(values[i - 1], values[i]) > 0) return false;
  return true;
}

/** The whole manifest of a group-period from its accepted values with their MPO and batch. */
export function groupPeriodManifest(values: readonly ManifestBatchValue[]): GroupPeriodManifestDigests {
  const byMpo = new Map<string, Map<string, ManifestBatchValue[]>>();
  for (const value of values) {
    const batches = byMpo.get(value.mpo) ?? new Map<string, ManifestBatchValue[]>();
    byMpo.set(value.mpo, batches);
    const list = batches.get(value.batchId) ?? [];
    batches.set(value.batchId, list);
    list.push(value);
  }
  const perMpo = [...byMpo.keys()].sort(bytewise).map((mpo) => {
    const batches = byMpo.get(mpo)!;
    const all = [...batches.values()].flat();
    return {
      mpo,
      ...valuesDigest(all),
      batches: [...batches.keys()].sort(bytewise).map((batchId) => {
        const list = batches.get(batchId)!;
        const { format, signature, request } = list[0];
        return { batchId, format, signature, ...(request ? { request } : {}), ...valuesDigest(list) };
      }),
    };
  });
  return { ...valuesDigest(values), perMpo };
}

/** Whether a receiver's own count and digest are the manifest's. */
export function sameValues(a: ValuesDigest, b: ValuesDigest): boolean {
  return a.count === b.count && a.digest === b.digest;
}

function bytewise(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
