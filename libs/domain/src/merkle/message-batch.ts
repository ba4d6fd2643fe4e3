import { Keccak256 } from './keccak';

/** How many messages go to the hasher in one call: large enough that the call costs nothing, small enough to stay in cache. */
const MESSAGE_BATCH_SIZE = 4096;

/**
 * Messages written end to end into one growing buffer, for Keccak256.hashMany. A writer asks
 * for room (`reserve`), writes its message at `length`, and closes it (`end`) with its size.
 */
export class MessageBatch {
  bytes = Buffer.allocUnsafe(MESSAGE_BATCH_SIZE * 256);
  readonly ends = new Uint32Array(MESSAGE_BATCH_SIZE);
  private count = 0;
  /** Where the next message starts. */
  length = 0;

  clear(): void {
    this.count = 0;
    this.length = 0;
  }

  /** The buffer, with room for `bytes` more from `length`; write the message there, then `end` it. */
  reserve(bytes: number): Buffer {
    if (this.length + bytes > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + bytes));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    return this.bytes;
  }

  /** Closes the message written at `length`, `bytes` long. */
  end(bytes: number): void {
    if (this.count === this.ends.length) throw new RangeError('a message writer must end exactly one message');
    this.length += bytes;
    this.ends[this.count++] = this.length;
  }
}

let shared: MessageBatch | undefined;

/**
 * keccak256 (or, with `twice`, keccak256 of keccak256) of `count` messages into `out`, 32
 * bytes each in order: `writeMessage(batch, i)` writes message i, and they go to the hasher
 * a few thousand at a time. The batch is this thread's own and reused: the hashing of a
 * settlement runs many batches one after the other, and a megabyte-sized buffer per call made
 * the hashing threads collect garbage (external memory) more often than they hashed.
 */
export function hashMessages(count: number, out: Uint8Array, twice: boolean, keccak: Keccak256, writeMessage: (batch: MessageBatch, i: number) => void): void {
  const batch = (shared ??= new MessageBatch());
  for (let from = 0; from < count; from += MESSAGE_BATCH_SIZE) {
    const to = Math.min(count, from + MESSAGE_BATCH_SIZE);
    batch.clear();
    for (let i = from; i < to; i++) writeMessage(batch, i);
    keccak.hashMany(batch.bytes, batch.ends, to - from, out, from * 32, twice);
  }
}

/** The hashing's reusable buffers, one of each per thread (see hashMessages). */
export type ScratchSlot = 'salts' | 'leafHashes' | 'nodes';
const scratch = new Map<ScratchSlot, Buffer>();

/** This thread's buffer for `slot`, at least `bytes` long (contents undefined); valid until the next call for the same slot. */
export function scratchBuffer(slot: ScratchSlot, bytes: number): Buffer {
  let buffer = scratch.get(slot);
  if (!buffer || buffer.length < bytes) {
    buffer = Buffer.allocUnsafeSlow(Math.max(bytes, 2 * (buffer?.length ?? 0)));
    scratch.set(slot, buffer);
  }
  return buffer;
}
