import { KECCAK_WASM_DATA_OFFSET } from './keccak-wat';
import { KECCAK_WASM_BASE64 } from './keccak-wasm.generated';

/**
 * A synchronous keccak-256 over raw bytes, in the project's own WebAssembly module
 * (keccak-wat.ts). Besides one hash at a time it hashes whole batches in one call, because a
 * Merkle tree of a million meters is five million permutations and a call from JavaScript per
 * hash cost as much as the permutation itself.
 */
export interface Keccak256 {
  /** keccak256(input) written into `out` at `outOffset`. */
  hashInto(input: Uint8Array, out: Uint8Array, outOffset: number): void;
  hash(input: Uint8Array): Uint8Array;
  /**
   * A Merkle node: keccak256 of the 32-byte words at `left` and `right` of `nodes` (byte
   * offsets), smaller first (OpenZeppelin's sorted pair), written to `nodes` at `outOffset`.
   */
  hashSortedPairInto(nodes: Uint8Array, left: number, right: number, outOffset: number): void;
  /**
   * `count` messages laid end to end in `messages`, message i ending at byte `ends[i]`, hashed
   * into `out` at `outOffset + 32·i`; with `twice`, keccak256(keccak256(message)) (the leaf
   * hash of OpenZeppelin's StandardMerkleTree).
   */
  hashMany(messages: Uint8Array, ends: Uint32Array, count: number, out: Uint8Array, outOffset: number, twice: boolean): void;
  /**
   * The inner nodes of a tree stored as 32-byte words in `nodes` (node i's children at 2i+1 and
   * 2i+2, the leaves already in place): nodes `last` down to 0, each the sorted pair of its
   * children.
   */
  merkleNodes(nodes: Uint8Array, last: number): void;
}

/** The module's exports (keccak-wat.ts). */
interface KeccakExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  hash(input: number, length: number, output: number): void;
  hashMany(input: number, ends: number, count: number, output: number, twice: number): void;
  merkleNodes(nodes: number, last: number): void;
}

/** The part of the WebAssembly API used here (this project's TypeScript libs declare none). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

const PAGE_BYTES = 65_536;
/** Batches larger than this go through WebAssembly in slices (hashMany) or pair by pair (merkleNodes), so the module's memory stays bounded. */
const MAX_BATCH_BYTES = 256 * 1024 * 1024;

class WasmKeccak256 implements Keccak256 {
  private memory: Uint8Array;

  constructor(private readonly wasm: KeccakExports) {
    this.memory = new Uint8Array(wasm.memory.buffer);
  }

  hashInto(input: Uint8Array, out: Uint8Array, outOffset: number): void {
    const memory = this.reserve(Math.max(input.length, 32));
    memory.set(input, KECCAK_WASM_DATA_OFFSET);
    this.wasm.hash(KECCAK_WASM_DATA_OFFSET, input.length, KECCAK_WASM_DATA_OFFSET);
    // Byte loops rather than Buffer.copy: for 32 bytes the call costs more than the copy.
    for (let i = 0; i < 32; i++) out[outOffset + i] = memory[KECCAK_WASM_DATA_OFFSET + i];
  }

  hash(input: Uint8Array): Uint8Array {
    const out = new Uint8Array(32);
    this.hashInto(input, out, 0);
    return out;
  }

  hashSortedPairInto(nodes: Uint8Array, left: number, right: number, outOffset: number): void {
    const memory = this.reserve(64);
    const [first, second] = compareWords(nodes, left, right) <= 0 ? [left, right] : [right, left];
    for (let i = 0; i < 32; i++) memory[KECCAK_WASM_DATA_OFFSET + i] = nodes[first + i];
    for (let i = 0; i < 32; i++) memory[KECCAK_WASM_DATA_OFFSET + 32 + i] = nodes[second + i];
    this.wasm.hash(KECCAK_WASM_DATA_OFFSET, 64, KECCAK_WASM_DATA_OFFSET);
    for (let i = 0; i < 32; i++) nodes[outOffset + i] = memory[KECCAK_WASM_DATA_OFFSET + i];
  }

  hashMany(messages: Uint8Array, ends: Uint32Array, count: number, out: Uint8Array, outOffset: number, twice: boolean): void {
    if (count === 0) return;
    if (ends.length < count || ends[count - 1] > messages.length) throw new RangeError('every message must end inside the messages');
    let from = 0;
    while (from < count) {
      // As many messages as fit MAX_BATCH_BYTES (at least one).
      const start = from === 0 ? 0 : ends[from - 1];
      let to = from + 1;
      while (to < count && ends[to] - start + (to + 1 - from) * 36 <= MAX_BATCH_BYTES) to++;
      this.hashSlice(messages, ends, from, to, start, out, outOffset, twice);
      from = to;
    }
  }

  /** Messages from..to-1 (their bytes from `start`) in one call: ends, then messages, then digests in the module's memory. */
  private hashSlice(messages: Uint8Array, ends: Uint32Array, from: number, to: number, start: number, out: Uint8Array, outOffset: number, twice: boolean): void {
    const count = to - from;
    const messageBytes = ends[to - 1] - start;
    const endsAt = KECCAK_WASM_DATA_OFFSET;
    const messagesAt = endsAt + count * 4;
    const digestsAt = messagesAt + messageBytes;
    const memory = this.reserve(count * 4 + messageBytes + count * 32);
    // WebAssembly reads its u32s little-endian, whatever the host's order.
    const relativeEnds = new DataView(memory.buffer, endsAt, count * 4);
    for (let i = 0; i < count; i++) {
      if (ends[from + i] < (i === 0 ? start : ends[from + i - 1])) throw new RangeError('message ends must not decrease');
      relativeEnds.setUint32(i * 4, ends[from + i] - start, true);
    }
    memory.set(messages.subarray(start, start + messageBytes), messagesAt);
    this.wasm.hashMany(messagesAt, endsAt, count, digestsAt, twice ? 1 : 0);
    out.set(memory.subarray(digestsAt, digestsAt + count * 32), outOffset + from * 32);
  }

  merkleNodes(nodes: Uint8Array, last: number): void {
    if (last < 0) return;
    if ((2 * last + 3) * 32 > nodes.length) throw new RangeError('the last inner node needs both children in the nodes');
    if (nodes.length > MAX_BATCH_BYTES) {
      for (let i = last; i >= 0; i--) this.hashSortedPairInto(nodes, (2 * i + 1) * 32, (2 * i + 2) * 32, i * 32);
      return;
    }
    const memory = this.reserve(nodes.length);
    memory.set(nodes, KECCAK_WASM_DATA_OFFSET);
    this.wasm.merkleNodes(KECCAK_WASM_DATA_OFFSET, last);
    nodes.set(memory.subarray(KECCAK_WASM_DATA_OFFSET, KECCAK_WASM_DATA_OFFSET + (last + 1) * 32), 0);
  }

  /** The module's memory, grown to hold `bytes` of data; a new view whenever it grew. */
  private reserve(bytes: number): Uint8Array {
    const needed = KECCAK_WASM_DATA_OFFSET + bytes;
    const have = this.wasm.memory.buffer.byteLength;
    if (needed > have) this.wasm.memory.grow(Math.ceil((needed - have) / PAGE_BYTES));
    if (this.memory.buffer !== this.wasm.memory.buffer) this.memory = new Uint8Array(this.wasm.memory.buffer);
    return this.memory;
  }
}

/** Byte order of two 32-byte words of one array: negative, zero or positive. */
function compareWords(bytes: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < 32; i++) {
    const difference = bytes[a + i] - bytes[b + i];
    if (difference !== 0) return difference;
  }
  return 0;
}

/** A new instance of the module (each thread has its own). */
export function createKeccak256(): Keccak256 {
  const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WebAssemblyApi };
  const instance = new wasmApi.Instance(new wasmApi.Module(Buffer.from(KECCAK_WASM_BASE64, 'base64')), {});
  const keccak = new WasmKeccak256(instance.exports as KeccakExports);
  // The known answer: keccak256("") as Ethereum defines it.
  if (Buffer.from(keccak.hash(new Uint8Array(0))).toString('hex') !== 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470') {
    throw new Error('the keccak WebAssembly module gives a wrong keccak256("")');
  }
  return keccak;
}

let loaded: Keccak256 | undefined;

/** This thread's keccak (asynchronous for its callers' sake: Nest factories, worker threads). */
export async function loadKeccak256(): Promise<Keccak256> {
  loaded ??= createKeccak256();
  return loaded;
}
