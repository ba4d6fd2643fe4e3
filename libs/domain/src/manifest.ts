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
  return lineOf(value.meterId, value.direction, value.energyWh);
}

function lineOf(meterId: string, direction: Direction, energyWh: bigint | string): string {
  return `${meterId}|${direction}|${energyWh.toString()}\n`;
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

/**
 * The values digest fed one value at a time, in the canonical order (the caller's duty:
 * from a sorted scan, or after sorting). Lines are hashed in chunks of about 64 KiB: one
 * hash update per line cost more than the hashing (a string chunk measured faster than
 * writing the lines into a buffer).
 */
export class ValuesDigester {
  private readonly hash = createHash('sha256');
  private chunk = '';
  private counted = 0;
  /** The hashed text, kept when the digester was asked to (ValuesSegment). */
  private readonly kept: Buffer[] | null;

  constructor(options: { keepLines?: boolean } = {}) {
    this.kept = options.keepLines ? [] : null;
  }

  add(meterId: string, direction: Direction, energyWh: bigint | string): void {
    this.chunk += lineOf(meterId, direction, energyWh);
    this.counted += 1;
    if (this.chunk.length >= 65_536) this.flush();
  }

  /** Count and digest of what was added (the digester is spent afterwards). */
  result(): ValuesDigest {
    this.flush();
    return { count: this.counted, digest: `0x${this.hash.digest('hex')}` };
  }

  /** The lines hashed so far, when kept. */
  lines(): readonly Buffer[] {
    return this.kept ?? [];
  }

  private flush(): void {
    if (this.kept) {
      // Lines are ASCII (meter ids by rule, directions, digits): Latin-1 is their UTF-8.
      const bytes = Buffer.from(this.chunk, 'latin1');
      this.hash.update(bytes);
      this.kept.push(bytes);
    } else this.hash.update(this.chunk);
    this.chunk = '';
  }
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
