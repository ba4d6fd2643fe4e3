import type { ValuesSegment } from '@gridledger/domain';

/** 64 MiB of canonical lines: about 1.9 M values, twenty periods of 100,000 meters. */
export const DEFAULT_SEGMENT_BYTES = 64 * 2 ** 20;

/**
 * The canonical lines of the batches this process stored, per batch and group-period, until
 * their manifest is computed: with them a group-period's manifest digests its lines in memory
 * instead of reading and sorting every value of the period in SQL again (docs/decisions.md,
 * "Manifests from the batches' lines"). A hint, never the truth: the manifest uses a segment
 * only for a batch whose count and digest in manifest_batches (stored in the batch's
 * transaction) are the segment's, so a segment of a batch that rolled back, of another
 * replica or from before a restart is simply not there or not matched, and the values are
 * digested in SQL as before. The oldest segments give way past `maxBytes`.
 */
export class ManifestSegments {
  private readonly segments = new Map<string, ValuesSegment>();
  private held = 0;

  constructor(private readonly maxBytes = DEFAULT_SEGMENT_BYTES) {}

  keep(periodStartMs: number, groupId: string, batchSeq: string, segment: ValuesSegment): void {
    const key = keyOf(periodStartMs, groupId, batchSeq);
    this.forget(key);
    if (segment.bytes > this.maxBytes) return;
    this.segments.set(key, segment);
    this.held += segment.bytes;
    // Insertion order is age: the oldest go first.
    for (const [oldest] of this.segments) {
      if (this.held <= this.maxBytes) break;
      this.forget(oldest);
    }
  }

  segmentOf(periodStartMs: number, groupId: string, batchSeq: string): ValuesSegment | undefined {
    return this.segments.get(keyOf(periodStartMs, groupId, batchSeq));
  }

  /** Bytes of lines held (at most maxBytes). */
  get bytes(): number {
    return this.held;
  }

  private forget(key: string): void {
    const segment = this.segments.get(key);
    if (segment === undefined) return;
    this.segments.delete(key);
    this.held -= segment.bytes;
  }
}

function keyOf(periodStartMs: number, groupId: string, batchSeq: string): string {
  return `${periodStartMs}|${batchSeq}|${groupId}`;
}
