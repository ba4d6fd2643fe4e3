/**
 * The meter leaf of a period commitment, encoded exactly like OpenZeppelin's
 * StandardMerkleTree with leaf types ['string', 'uint64', 'uint8', 'uint256', 'bytes32']:
 * (meterId, period start in unix seconds, direction 0 consumption / 1 production, energy Wh,
 * salt). The salt (see leaf-salt.ts) makes a leaf hash unguessable without it, so the sibling
 * hashes in a served proof reveal nothing about a neighbour's energy.
 */
export const METER_LEAF_TYPES = ['string', 'uint64', 'uint8', 'uint256', 'bytes32'] as const;

export interface MeterLeaf {
  readonly meterId: string;
  readonly periodStartSeconds: bigint;
  /** 0 consumption (feed-out), 1 production (feed-in). */
  readonly direction: 0 | 1;
  readonly energyWh: bigint;
  /** 32 bytes (may be a view into a larger buffer of salts). */
  readonly salt: Uint8Array;
}

/** Leaves as columns, input order (MeterMerkleTree.buildFromColumns): the period start is one for all. */
export interface MeterLeafColumns {
  readonly meterIds: readonly string[];
  /** 0 consumption, 1 production. */
  readonly directions: Uint8Array;
  /** Wh; a uint64 column fits every energy a meter can report (see MAX_ABS_WH). */
  readonly energies: BigUint64Array;
  /** 32 bytes a leaf (leafSalts). */
  readonly salts: Uint8Array;
}

/** The leaf as the values OpenZeppelin's library takes: [meterId, start, direction, energy, salt]. */
export type MeterLeafValues = [string, string, 0 | 1, string, string];

export function meterLeafValues(leaf: MeterLeaf): MeterLeafValues {
  return [leaf.meterId, leaf.periodStartSeconds.toString(), leaf.direction, leaf.energyWh.toString(), `0x${Buffer.from(leaf.salt.buffer, leaf.salt.byteOffset, 32).toString('hex')}`];
}

const MAX_UINT64 = (1n << 64n) - 1n;
const MAX_UINT256 = (1n << 256n) - 1n;
const HEAD_BYTES = 5 * 32;

export class MeterLeafError extends Error {
  constructor(
    readonly field: keyof MeterLeaf,
    readonly reason: string,
  ) {
    super(`invalid Merkle leaf ${field}: ${reason}`);
    this.name = 'MeterLeafError';
  }
}

/** Bytes of abi.encode(string, uint64, uint8, uint256, bytes32) for this leaf. */
export function abiEncodedLength(meterId: string): number {
  const idBytes = Buffer.byteLength(meterId, 'utf8');
  return HEAD_BYTES + 32 + Math.ceil(idBytes / 32) * 32;
}

/**
 * Writes abi.encode(meterId, start, direction, energy, salt) into `target` (which must be at
 * least abiEncodedLength bytes and is zeroed here) and returns the encoded length.
 * Hand-written: the generic ABI coders spend most of a large tree's time here.
 */
export function encodeMeterLeaf(leaf: MeterLeaf, target: Buffer): number {
  if (leaf.periodStartSeconds < 0n || leaf.periodStartSeconds > MAX_UINT64) throw new MeterLeafError('periodStartSeconds', 'must fit uint64');
  if (leaf.direction !== 0 && leaf.direction !== 1) throw new MeterLeafError('direction', 'must be 0 or 1');
  if (leaf.energyWh < 0n || leaf.energyWh > MAX_UINT256) throw new MeterLeafError('energyWh', 'must be a non-negative uint256');
  if (leaf.salt.length !== 32) throw new MeterLeafError('salt', 'must be 32 bytes');
  const length = abiEncodedLength(leaf.meterId);
  target.fill(0, 0, length);
  // Head: offset of the string's tail, then the four static words.
  target.writeUInt32BE(HEAD_BYTES, 28);
  target.writeBigUInt64BE(leaf.periodStartSeconds, 56);
  target[95] = leaf.direction;
  writeUint256(leaf.energyWh, target, 96);
  target.set(leaf.salt, 128);
  // Tail: the string's byte length, then its bytes padded to a word.
  const idBytes = target.write(leaf.meterId, HEAD_BYTES + 32, 'utf8');
  target.writeUInt32BE(idBytes, HEAD_BYTES + 28);
  return length;
}

const MAX_WORD = 0xffffffffffffffffn;

/** Big-endian uint256 into a zeroed word; meter energies fit the last 8 bytes. */
function writeUint256(value: bigint, target: Buffer, offset: number): void {
  if (value <= MAX_WORD) {
    target.writeBigUInt64BE(value, offset + 24);
    return;
  }
  let rest = value;
  for (let word = 3; word >= 0; word--) {
    target.writeBigUInt64BE(rest & MAX_WORD, offset + word * 8);
    rest >>= 64n;
  }
}
