import { readFileSync } from 'node:fs';
import { createKeccak } from 'hash-wasm';

/**
 * A synchronous keccak-256 over raw bytes. hash-wasm's WebAssembly keccak is about four
 * times faster than the pure-JS implementations for the 32-192 byte inputs of a Merkle
 * tree; it needs one asynchronous load, after which every call is synchronous.
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
}

/** hashSortedPairInto through `hashInto`, for hashers without a faster way. */
export function sortedPairVia(hashInto: Keccak256['hashInto']): Keccak256['hashSortedPairInto'] {
  const pair = new Uint8Array(64);
  return (nodes, left, right, outOffset) => {
    const [first, second] = compareWords(nodes, left, right) <= 0 ? [left, right] : [right, left];
    pair.set(nodes.subarray(first, first + 32), 0);
    pair.set(nodes.subarray(second, second + 32), 32);
    hashInto(pair, nodes, outOffset);
  };
}

/** Byte order of two 32-byte words of one array: negative, zero or positive. */
function compareWords(bytes: Uint8Array, a: number, b: number): number {
  for (let i = 0; i < 32; i++) {
    const difference = bytes[a + i] - bytes[b + i];
    if (difference !== 0) return difference;
  }
  return 0;
}

let loaded: Promise<Keccak256> | undefined;

export function loadKeccak256(): Promise<Keccak256> {
  loaded ??= Promise.resolve(directKeccak()).then((direct) => direct ?? wrappedKeccak());
  return loaded;
}

/** Through hash-wasm's hasher object (init, update, digest: a copy and an allocation per hash). */
async function wrappedKeccak(): Promise<Keccak256> {
  const hasher = await createKeccak(256);
  const hashInto: Keccak256['hashInto'] = (input, out, outOffset) => {
    hasher.init();
    hasher.update(input);
    out.set(hasher.digest('binary'), outOffset);
  };
  return {
    hashInto,
    hash(input) {
      hasher.init();
      hasher.update(input);
      return hasher.digest('binary');
    },
    hashSortedPairInto: sortedPairVia(hashInto),
  };
}

/** The part of the WebAssembly API used here (this project's TypeScript libs declare none). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}

interface Sha3Exports {
  readonly memory: { readonly buffer: ArrayBuffer };
  Hash_GetBuffer(): number;
  Hash_Calculate(length: number, bits: number, padding: number): void;
  Hash_Init(bits: number): void;
  Hash_Update(length: number): void;
  Hash_Final(padding: number): void;
}

/** Keccak's padding byte (SHA-3 uses 0x06): the same permutation, the Ethereum variant. */
const KECCAK_PADDING = 0x01;
/** hash-wasm's input buffer in its module's memory. */
const MAX_INPUT = 16 * 1024;

/**
 * The same WebAssembly module (hash-wasm's sha3/keccak build), called directly: the input is
 * written into its memory and one exported call hashes it. A Merkle tree of a million meters
 * is three million hashes of 32 to 224 bytes, where the hasher object's per-call work (views,
 * checks, a 32-byte allocation per digest) cost as much as the permutation itself. The module
 * is read from the installed hash-wasm bundle; if that ever fails (a new bundle layout), the
 * hasher object is used instead and only speed differs (the domain's Merkle tests check
 * known roots either way).
 */
function directKeccak(): Keccak256 | undefined {
  try {
    const bundle = readFileSync(require.resolve('hash-wasm'), 'utf8');
    const found = /var name\$(\w+) = "sha3";\s*var data\$\1 = "([A-Za-z0-9+/=]+)"/.exec(bundle);
    if (!found) return undefined;
    const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WebAssemblyApi };
    const instance = new wasmApi.Instance(new wasmApi.Module(Buffer.from(found[2], 'base64')), {});
    const wasm = instance.exports as unknown as Sha3Exports;
    if (![wasm.Hash_Calculate, wasm.Hash_GetBuffer, wasm.Hash_Init, wasm.Hash_Update, wasm.Hash_Final].every((f) => typeof f === 'function')) return undefined;
    const offset = wasm.Hash_GetBuffer();
    // The memory does not grow for these inputs; the view is re-made if it ever does.
    let view = new Uint8Array(wasm.memory.buffer, offset, MAX_INPUT);
    const calculate = (input: Uint8Array): Uint8Array => {
      if (view.buffer !== wasm.memory.buffer) view = new Uint8Array(wasm.memory.buffer, offset, MAX_INPUT);
      if (input.length <= MAX_INPUT) {
        view.set(input);
        wasm.Hash_Calculate(input.length, 256, KECCAK_PADDING);
        return view;
      }
      wasm.Hash_Init(256);
      for (let from = 0; from < input.length; from += MAX_INPUT) {
        const chunk = input.subarray(from, from + MAX_INPUT);
        view.set(chunk);
        wasm.Hash_Update(chunk.length);
      }
      wasm.Hash_Final(KECCAK_PADDING);
      return view;
    };
    const direct: Keccak256 = {
      hashInto(input, out, outOffset) {
        const digest = calculate(input);
        for (let i = 0; i < 32; i++) out[outOffset + i] = digest[i];
      },
      hash(input) {
        return calculate(input).slice(0, 32);
      },
      // Byte loops rather than Buffer.compare/copy: for 32 bytes the calls cost more than the work.
      hashSortedPairInto(nodes, left, right, outOffset) {
        if (view.buffer !== wasm.memory.buffer) view = new Uint8Array(wasm.memory.buffer, offset, MAX_INPUT);
        const [first, second] = compareWords(nodes, left, right) <= 0 ? [left, right] : [right, left];
        for (let i = 0; i < 32; i++) view[i] = nodes[first + i];
        for (let i = 0; i < 32; i++) view[32 + i] = nodes[second + i];
        wasm.Hash_Calculate(64, 256, KECCAK_PADDING);
        for (let i = 0; i < 32; i++) nodes[outOffset + i] = view[i];
      },
    };
    // The known answer: keccak256("") as Ethereum defines it.
    const empty = Buffer.from(direct.hash(new Uint8Array(0))).toString('hex');
    return empty === 'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470' ? direct : undefined;
  } catch {
    return undefined;
  }
}
