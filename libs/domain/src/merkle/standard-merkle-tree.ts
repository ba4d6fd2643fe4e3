import { Keccak256 } from './keccak';
import { MeterLeaf, abiEncodedLength, encodeMeterLeaf } from './meter-leaf';

/**
 * A StandardMerkleTree-compatible tree over meter leaves: same leaf hash
 * (keccak256(keccak256(abi.encode(...)))), same sorted-pair node hash, and the same shape
 * and leaf order as `StandardMerkleTree.of` (leaves sorted by hash, stored from the end of
 * a 2n−1 node array), so roots and proofs agree with the library. All nodes live in one
 * Buffer of 32-byte words; nothing goes through hex until a caller asks for it.
 */
export class MeterMerkleTree {
  private constructor(
    /** (2n−1)·32 bytes; node i at i·32; the root at 0. */
    private readonly nodes: Buffer,
    /** For each input leaf (by its input index) its node index in the tree. */
    private readonly nodeIndexOfLeaf: Uint32Array,
    readonly leafCount: number,
  ) {}

  static build(leaves: readonly MeterLeaf[], keccak: Keccak256): MeterMerkleTree {
    const count = leaves.length;
    if (count === 0) throw new RangeError('a Merkle tree needs at least one leaf');
    const leafHashes = hashLeaves(leaves, keccak);
    const order = sortedByHash(leafHashes, count);
    const nodeCount = 2 * count - 1;
    const nodes = Buffer.allocUnsafe(nodeCount * 32);
    const nodeIndexOfLeaf = new Uint32Array(count);
    for (let rank = 0; rank < count; rank++) {
      const nodeIndex = nodeCount - 1 - rank;
      const leafIndex = order[rank];
      leafHashes.copy(nodes, nodeIndex * 32, leafIndex * 32, leafIndex * 32 + 32);
      nodeIndexOfLeaf[leafIndex] = nodeIndex;
    }
    for (let i = nodeCount - 1 - count; i >= 0; i--) keccak.hashSortedPairInto(nodes, (2 * i + 1) * 32, (2 * i + 2) * 32, i * 32);
    return new MeterMerkleTree(nodes, nodeIndexOfLeaf, count);
  }

  get root(): string {
    return this.hexAt(0);
  }

  /** Sibling hashes from the leaf up, as `StandardMerkleTree.getProof` returns them. */
  proof(leafIndex: number): string[] {
    if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= this.leafCount) throw new RangeError(`no leaf at index ${leafIndex}`);
    const proof: string[] = [];
    let node = this.nodeIndexOfLeaf[leafIndex];
    while (node > 0) {
      const sibling = node % 2 === 1 ? node + 1 : node - 1;
      proof.push(this.hexAt(sibling));
      node = Math.floor((node - 1) / 2);
    }
    return proof;
  }

  leafHash(leafIndex: number): string {
    return this.hexAt(this.nodeIndexOfLeaf[leafIndex]);
  }

  private hexAt(node: number): string {
    return `0x${this.nodes.toString('hex', node * 32, node * 32 + 32)}`;
  }
}

/** Leaf hashes of all leaves, input order, 32 bytes each. */
function hashLeaves(leaves: readonly MeterLeaf[], keccak: Keccak256): Buffer {
  const hashes = Buffer.allocUnsafe(leaves.length * 32);
  let scratch = Buffer.allocUnsafe(256);
  const inner = Buffer.allocUnsafe(32);
  for (let i = 0; i < leaves.length; i++) {
    const needed = abiEncodedLength(leaves[i].meterId);
    if (needed > scratch.length) scratch = Buffer.allocUnsafe(needed);
    const length = encodeMeterLeaf(leaves[i], scratch);
    keccak.hashInto(scratch.subarray(0, length), inner, 0);
    keccak.hashInto(inner, hashes, i * 32);
  }
  return hashes;
}

/** Leaf indices in ascending hash order; ties keep input order, like a stable sort. */
function sortedByHash(hashes: Buffer, count: number): Uint32Array {
  // 48-bit prefixes as doubles decide almost every comparison without touching the Buffer.
  const prefix = new Float64Array(count);
  for (let i = 0; i < count; i++) prefix[i] = hashes.readUIntBE(i * 32, 6);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => {
    const byPrefix = prefix[a] - prefix[b];
    if (byPrefix !== 0) return byPrefix;
    const byHash = hashes.compare(hashes, b * 32, b * 32 + 32, a * 32, a * 32 + 32);
    return byHash !== 0 ? byHash : a - b;
  });
  return order;
}

/** Verifies a proof the way OpenZeppelin's `processProof` does; for callers without the library. */
export function verifyMeterProof(leafHashHex: string, proof: readonly string[], rootHex: string, keccak: Keccak256): boolean {
  let current = Buffer.from(leafHashHex.slice(2), 'hex');
  const pair = Buffer.allocUnsafe(64);
  for (const siblingHex of proof) {
    const sibling = Buffer.from(siblingHex.slice(2), 'hex');
    const [first, second] = Buffer.compare(current, sibling) <= 0 ? [current, sibling] : [sibling, current];
    first.copy(pair, 0);
    second.copy(pair, 32);
    current = Buffer.from(keccak.hash(pair));
  }
  return `0x${current.toString('hex')}` === rootHex.toLowerCase();
}

/** The leaf hash of one leaf, without building a tree. */
export function meterLeafHash(leaf: MeterLeaf, keccak: Keccak256): string {
  const scratch = Buffer.allocUnsafe(abiEncodedLength(leaf.meterId));
  const length = encodeMeterLeaf(leaf, scratch);
  return `0x${Buffer.from(keccak.hash(keccak.hash(scratch.subarray(0, length)))).toString('hex')}`;
}
