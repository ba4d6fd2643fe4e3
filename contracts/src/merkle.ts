import { AbiCoder, concat, getBytes, hexlify, keccak256 } from 'ethers';

/**
 * The StandardMerkleTree leaf and tree layout of @openzeppelin/merkle-tree, done directly:
 * the library takes minutes for a million leaves. Leaf types are
 * ['string', 'uint64', 'uint8', 'uint256'] = (meterId, period start, direction, energy Wh).
 */
export type MeterLeaf = readonly [meterId: string, periodStart: bigint, direction: 0 | 1, energyWh: bigint];

export const LEAF_TYPES = ['string', 'uint64', 'uint8', 'uint256'] as const;

const coder = AbiCoder.defaultAbiCoder();

/** keccak256(keccak256(abi.encode(leaf))), as bytes. */
export function leafHash(leaf: MeterLeaf): Uint8Array {
  return getBytes(keccak256(getBytes(keccak256(coder.encode(LEAF_TYPES, leaf)))));
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return getBytes(keccak256(compare(a, b) <= 0 ? concat([a, b]) : concat([b, a])));
}

/**
 * The root StandardMerkleTree.of(leaves, LEAF_TYPES) would give: leaf hashes sorted, laid out
 * as a complete binary tree in an array (leaves at the end, reversed), parents hashed as
 * sorted pairs.
 */
export function standardMerkleRoot(leaves: readonly MeterLeaf[]): string {
  if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
  return standardMerkleRootOfHashes(leaves.map(leafHash));
}

export function standardMerkleRootOfHashes(hashes: Uint8Array[]): string {
  const sorted = [...hashes].sort(compare);
  const n = sorted.length;
  const tree: Uint8Array[] = new Array<Uint8Array>(2 * n - 1);
  for (let i = 0; i < n; i++) tree[tree.length - 1 - i] = sorted[i];
  for (let i = tree.length - 1 - n; i >= 0; i--) tree[i] = hashPair(tree[2 * i + 1], tree[2 * i + 2]);
  return hexlify(tree[0]);
}
