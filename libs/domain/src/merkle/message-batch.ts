import { Keccak256 } from './keccak';

/** How many messages go to the hasher in one call: large enough that the call costs nothing, small enough to stay in cache. */
export const MESSAGE_BATCH_SIZE = 4096;

/**
 * Messages written end to end into one growing buffer, for Keccak256.hashMany. A writer asks
 * for room (`reserve`), writes its message at `length`, and closes it (`end`) with its size.
 */
export class MessageBatch {
  private bytes = Buffer.allocUnsafe(MESSAGE_BATCH_SIZE * 256);
  private ends = new Uint32Array(MESSAGE_BATCH_SIZE);
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
    if (this.count === this.ends.length) {
      const grown = new Uint32Array(2 * this.ends.length);
      grown.set(this.ends);
      this.ends = grown;
    }
    this.length += bytes;
    this.ends[this.count++] = this.length;
  }

  /** Every message's digest into `out` from `outOffset`, 32 bytes each in order. */
  hashInto(keccak: Keccak256, out: Uint8Array, outOffset: number, twice: boolean): void {
    keccak.hashMany(this.bytes, this.ends, this.count, out, outOffset, twice);
  }
}

let shared: MessageBatch | undefined;

/**
 * This thread's batch, cleared: the hashing of a settlement runs many batches one after the
 * other, and a megabyte-sized buffer per call made the hashing threads collect garbage
 * (external memory) more often than they hashed. Callers use it synchronously and let go.
 */
export function sharedMessageBatch(): MessageBatch {
  shared ??= new MessageBatch();
  shared.clear();
  return shared;
}

/** The hashing's reusable buffers, one of each per thread (see sharedMessageBatch). */
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
