import { keccak256, toUtf8Bytes } from 'ethers';

/**
 * A small deterministic generator (mulberry32): the same seed gives the same sequence of
 * numbers in [0, 1) on every run, so generated markets and fixtures are reproducible.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** mulberry32 seeded from a string: the first 32 bits of the string's keccak256. */
export function seededRandom(seed: string): () => number {
  return mulberry32(Number.parseInt(keccak256(toUtf8Bytes(seed)).slice(2, 10), 16));
}
