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
}

let loaded: Promise<Keccak256> | undefined;

export function loadKeccak256(): Promise<Keccak256> {
  loaded ??= createKeccak(256).then((hasher) => ({
    hashInto(input, out, outOffset) {
      hasher.init();
      hasher.update(input);
      out.set(hasher.digest('binary'), outOffset);
    },
    hash(input) {
      hasher.init();
      hasher.update(input);
      return hasher.digest('binary');
    },
  }));
  return loaded;
}
