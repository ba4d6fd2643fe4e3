import { Keccak256 } from './keccak';
import { leafSalts } from './leaf-salt';
import { hashMessages, scratchBuffer } from './message-batch';
import { MeterLeaf, MeterLeafColumns, MeterLeafError, abiEncodedLength, encodeMeterLeaf } from './meter-leaf';

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
    if (leaves.length === 0) throw new RangeError('a Merkle tree needs at least one leaf');
    return MeterMerkleTree.ofLeafHashes(hashLeaves(leaves, keccak), leaves.length, keccak);
  }

  /**
   * The same tree from leaves given as columns (a settlement's values): no leaf object, no
   * view per leaf and the constant words of the encoding written once, because a period of a
   * million meters builds a million leaves.
   */
  static buildFromColumns(columns: MeterLeafColumns, periodStartSeconds: bigint, keccak: Keccak256): MeterMerkleTree {
    const count = columns.meterIds.length;
    if (count === 0) throw new RangeError('a Merkle tree needs at least one leaf');
    return MeterMerkleTree.ofLeafHashes(hashLeafColumns(columns, periodStartSeconds, keccak), count, keccak);
  }

  /**
   * Only the root of that tree (a settlement's): the nodes in this thread's reusable buffer
   * instead of a tree's own, because a hashing thread builds one tree per group-period and
   * fresh megabytes each time made it collect garbage more than hash.
   */
  static rootOfColumns(columns: MeterLeafColumns, periodStartSeconds: bigint, keccak: Keccak256): string {
    const count = columns.meterIds.length;
    if (count === 0) throw new RangeError('a Merkle tree needs at least one leaf');
    const nodes = scratchBuffer('nodes', (2 * count - 1) * 32);
    placeLeaves(hashLeafColumns(columns, periodStartSeconds, keccak), count, nodes, undefined);
    keccak.merkleNodes(nodes.subarray(0, (2 * count - 1) * 32), count - 2);
    return `0x${nodes.toString('hex', 0, 32)}`;
  }

  /**
   * The root of a settlement's leaves salted from `versionKey` (leafSalts), salts and nodes in
   * this thread's reusable buffers.
   */
  static saltedRootOfColumns(leaves: Omit<MeterLeafColumns, 'salts'>, periodStartSeconds: bigint, versionKey: Uint8Array, keccak: Keccak256): string {
    const salts = leafSalts(versionKey, leaves.meterIds, leaves.directions, keccak, scratchBuffer('salts', leaves.meterIds.length * 32));
    return MeterMerkleTree.rootOfColumns({ ...leaves, salts }, periodStartSeconds, keccak);
  }

  private static ofLeafHashes(leafHashes: Buffer, count: number, keccak: Keccak256): MeterMerkleTree {
    const nodeCount = 2 * count - 1;
    const nodes = Buffer.allocUnsafe(nodeCount * 32);
    const nodeIndexOfLeaf = new Uint32Array(count);
    placeLeaves(leafHashes, count, nodes, nodeIndexOfLeaf);
    keccak.merkleNodes(nodes, nodeCount - 1 - count);
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

/** The leaf hashes in StandardMerkleTree's places: sorted by hash, from the end of the 2n−1 nodes; each leaf's node index into `nodeIndexOfLeaf` if given. */
function placeLeaves(leafHashes: Buffer, count: number, nodes: Buffer, nodeIndexOfLeaf: Uint32Array | undefined): void {
  const order = sortedByHash(leafHashes, count);
  const nodeCount = 2 * count - 1;
  for (let rank = 0; rank < count; rank++) {
    const nodeIndex = nodeCount - 1 - rank;
    const leafIndex = order[rank];
    // A byte loop: for 32 bytes, Buffer.copy's call costs more than the copy.
    const from = leafIndex * 32;
    const to = nodeIndex * 32;
    for (let b = 0; b < 32; b++) nodes[to + b] = leafHashes[from + b];
    if (nodeIndexOfLeaf) nodeIndexOfLeaf[leafIndex] = nodeIndex;
  }
}

/** Leaf hashes of all leaves, input order, 32 bytes each (in this thread's reusable buffer). */
function hashLeaves(leaves: readonly MeterLeaf[], keccak: Keccak256): Buffer {
  const hashes = scratchBuffer('leafHashes', leaves.length * 32);
  hashMessages(leaves.length, hashes, true, keccak, (batch, i) => {
    const encoded = batch.reserve(abiEncodedLength(leaves[i].meterId));
    batch.end(encodeMeterLeaf(leaves[i], encoded.subarray(batch.length)));
  });
  return hashes;
}

/**
 * Leaf hashes of leaves given as columns, input order, 32 bytes each: the same bytes as
 * hashLeaves. The encoding's head (string offset, period start) is made once and copied; per
 * leaf only direction, energy, salt, the id's length and the id (zero-padded) are written.
 * In this thread's reusable buffer.
 */
function hashLeafColumns(columns: MeterLeafColumns, periodStartSeconds: bigint, keccak: Keccak256): Buffer {
  const { meterIds, directions, energies, salts } = columns;
  const count = meterIds.length;
  if (periodStartSeconds < 0n || periodStartSeconds > MAX_UINT64) throw new MeterLeafError('periodStartSeconds', 'must fit uint64');
  if (directions.length < count || energies.length < count) throw new RangeError('every leaf needs a direction and an energy');
  if (salts.length < count * 32) throw new MeterLeafError('salt', 'must be 32 bytes');
  const hashes = scratchBuffer('leafHashes', count * 32);
  // Energies as 32-bit halves (uint64 words; they fit the last 8 bytes of the uint256 word).
  const halves = new Uint32Array(energies.buffer, energies.byteOffset, count * 2);
  const [low, high] = LITTLE_ENDIAN ? [0, 1] : [1, 0];
  const head = Buffer.alloc(STRING_TAIL);
  head.writeUInt32BE(HEAD_BYTES, 28);
  head.writeBigUInt64BE(periodStartSeconds, 56);
  hashMessages(count, hashes, true, keccak, (batch, i) => {
    const meterId = meterIds[i];
    const direction = directions[i];
    if (direction > 1) throw new MeterLeafError('direction', 'must be 0 or 1');
    const encoded = batch.reserve(STRING_TAIL + meterId.length * 3 + 32);
    const at = batch.length;
    head.copy(encoded, at);
    encoded[at + 95] = direction;
    writeWord64(encoded, at + 120, halves[2 * i + high], halves[2 * i + low]);
    const salt = i * 32;
    for (let b = 0; b < 32; b++) encoded[at + 128 + b] = salts[salt + b];
    const idBytes = encoded.write(meterId, at + STRING_TAIL, 'utf8');
    const length = STRING_TAIL + Math.ceil(idBytes / 32) * 32;
    writeWord64(encoded, at + HEAD_BYTES + 24, 0, idBytes);
    for (let b = STRING_TAIL + idBytes; b < length; b++) encoded[at + b] = 0;
    batch.end(length);
  });
  return hashes;
}

const MAX_UINT64 = (1n << 64n) - 1n;
/** abi.encode's head: five words (the string's offset, start, direction, energy, salt). */
const HEAD_BYTES = 5 * 32;
/** Where the string's bytes start: after the head and the string's length word. */
const STRING_TAIL = HEAD_BYTES + 32;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** A uint64 from two 32-bit halves, big-endian at `offset`. */
function writeWord64(target: Buffer, offset: number, high: number, low: number): void {
  target[offset] = high >>> 24;
  target[offset + 1] = (high >>> 16) & 255;
  target[offset + 2] = (high >>> 8) & 255;
  target[offset + 3] = high & 255;
  target[offset + 4] = low >>> 24;
  target[offset + 5] = (low >>> 16) & 255;
  target[offset + 6] = (low >>> 8) & 255;
  target[offset + 7] = low & 255;
}

/** Up to 2^21 leaves, a 32-bit hash prefix and the leaf index fit one double's 53 bits exactly. */
const PACKED_SORT_MAX_LEAVES = 1 << 21;

/** Leaf indices in ascending hash order (hashes: 32 bytes a leaf); ties keep input order, like a stable sort. Exported for its spec. */
export function sortedByHash(hashes: Buffer, count: number): Uint32Array {
  if (count > PACKED_SORT_MAX_LEAVES) return sortedByHashCompared(hashes, count);
  // prefix · 2^21 + index, sorted as numbers (no comparator call per comparison); leaves
  // whose 32-bit prefixes tie are then ordered by their whole hash, then index.
  const packed = new Float64Array(count);
  for (let i = 0; i < count; i++) packed[i] = hashes.readUInt32BE(i * 32) * PACKED_SORT_MAX_LEAVES + i;
  packed.sort();
  const order = new Uint32Array(count);
  for (let rank = 0; rank < count; rank++) order[rank] = packed[rank] % PACKED_SORT_MAX_LEAVES;
  for (let start = 0; start < count; ) {
    let end = start + 1;
    const prefix = Math.floor(packed[start] / PACKED_SORT_MAX_LEAVES);
    while (end < count && Math.floor(packed[end] / PACKED_SORT_MAX_LEAVES) === prefix) end++;
    if (end - start > 1) order.subarray(start, end).sort((a, b) => compareLeafHashes(hashes, a, b));
    start = end;
  }
  return order;
}

function compareLeafHashes(hashes: Buffer, a: number, b: number): number {
  const byHash = hashes.compare(hashes, b * 32, b * 32 + 32, a * 32, a * 32 + 32);
  return byHash !== 0 ? byHash : a - b;
}

/** The same order by comparisons, for trees too large to pack an index beside the prefix. */
function sortedByHashCompared(hashes: Buffer, count: number): Uint32Array {
  // 48-bit prefixes as doubles decide almost every comparison without touching the Buffer.
  const prefix = new Float64Array(count);
  for (let i = 0; i < count; i++) prefix[i] = hashes.readUIntBE(i * 32, 6);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => {
    const byPrefix = prefix[a] - prefix[b];
    if (byPrefix !== 0) return byPrefix;
    return compareLeafHashes(hashes, a, b);
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
