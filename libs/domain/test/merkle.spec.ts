import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { keccak256 } from 'ethers';
import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import {
  EMPTY_GROUP_PERIOD_PREIMAGE,
  EMPTY_GROUP_PERIOD_ROOT,
  Keccak256,
  METER_LEAF_TYPES,
  MeterLeaf,
  MeterMerkleTree,
  leafSalt,
  leafSaltVersionKey,
  leafSalts,
  loadKeccak256,
  meterLeafHash,
  meterLeafValues,
  parseLeafSaltKey,
  sortedByHash,
  verifyMeterProof,
} from '../src';

const leafArbitrary = fc.record({
  meterId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/),
  periodStartSeconds: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  direction: fc.constantFrom<0 | 1>(0, 1),
  energyWh: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 18n }), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n })),
  salt: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});
const SALT = new Uint8Array(32).fill(0xab);

let keccak: Keccak256;
beforeAll(async () => {
  keccak = await loadKeccak256();
});

describe('MeterMerkleTree (StandardMerkleTree-compatible)', () => {

  it('given random leaves, when built, then root, leaf hashes and proofs equal OpenZeppelin StandardMerkleTree.of', () => {
    fc.assert(
      fc.property(fc.array(leafArbitrary, { minLength: 1, maxLength: 40 }), (leaves: MeterLeaf[]) => {
        const values = leaves.map(meterLeafValues);
        const reference = StandardMerkleTree.of(values, [...METER_LEAF_TYPES]);
        const tree = MeterMerkleTree.build(leaves, keccak);
        expect(tree.root).toBe(reference.root);
        leaves.forEach((leaf, i) => {
          expect(tree.leafHash(i)).toBe(reference.leafHash(values[i]));
          expect(tree.proof(i)).toEqual(reference.getProof(i));
          expect(StandardMerkleTree.verify(tree.root, [...METER_LEAF_TYPES], values[i], tree.proof(i))).toBe(true);
          expect(verifyMeterProof(meterLeafHash(leaf, keccak), tree.proof(i), tree.root, keccak)).toBe(true);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('given a realistic period of 2,000 meters, when built, then the root equals the library root', () => {
    const leaves: MeterLeaf[] = Array.from({ length: 2000 }, (_, i) => ({
      meterId: `DE000${String(i).padStart(28, '0')}`,
      periodStartSeconds: 1_774_746_000n,
      direction: (i % 3 === 0 ? 1 : 0) as 0 | 1,
      energyWh: BigInt((i * 7919) % 5000),
      salt: SALT,
    }));
    const reference = StandardMerkleTree.of(leaves.map(meterLeafValues), [...METER_LEAF_TYPES]);
    expect(MeterMerkleTree.build(leaves, keccak).root).toBe(reference.root);
  });

  it('when a proof is tampered with, then it no longer verifies', () => {
    const leaves: MeterLeaf[] = [0, 1, 2].map((i) => ({ meterId: `M${i}`, periodStartSeconds: 0n, direction: 0, energyWh: BigInt(i), salt: SALT }));
    const tree = MeterMerkleTree.build(leaves, keccak);
    const proof = tree.proof(1);
    proof[0] = `0x${'00'.repeat(32)}`;
    expect(verifyMeterProof(tree.leafHash(1), proof, tree.root, keccak)).toBe(false);
  });

  it('given leaves as columns, when built, then root, leaf hashes and proofs equal the tree of the same leaves as objects', () => {
    const columnLeaf = fc.record({
      meterId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/), fc.string({ minLength: 1, maxLength: 80, unit: 'binary' })),
      direction: fc.constantFrom<0 | 1>(0, 1),
      energyWh: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      salt: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    });
    fc.assert(
      fc.property(fc.array(columnLeaf, { minLength: 1, maxLength: 60 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (leaves, periodStartSeconds) => {
        const salts = new Uint8Array(leaves.length * 32);
        leaves.forEach((leaf, i) => salts.set(leaf.salt, i * 32));
        const columns = {
          meterIds: leaves.map((leaf) => leaf.meterId),
          directions: Uint8Array.from(leaves, (leaf) => leaf.direction),
          energies: BigUint64Array.from(leaves, (leaf) => leaf.energyWh),
          salts,
        };
        const expected = MeterMerkleTree.build(
          leaves.map((leaf) => ({ ...leaf, periodStartSeconds })),
          keccak,
        );
        const tree = MeterMerkleTree.buildFromColumns(columns, periodStartSeconds, keccak);
        expect(tree.root).toBe(expected.root);
        expect(MeterMerkleTree.rootOfColumns(columns, periodStartSeconds, keccak)).toBe(expected.root);
        leaves.forEach((_, i) => {
          expect(tree.leafHash(i)).toBe(expected.leafHash(i));
          expect(tree.proof(i)).toEqual(expected.proof(i));
        });
      }),
      { numRuns: 80 },
    );
  });

  it('orders leaf hashes bytewise, ties by input index, also when many share their first bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }), fc.uint8Array({ minLength: 26, maxLength: 26 })), { minLength: 1, maxLength: 200 }), (specs) => {
        const hashes = Buffer.alloc(specs.length * 32);
        specs.forEach(([first, fifth, rest], i) => {
          hashes[i * 32] = first;
          hashes[i * 32 + 4] = fifth;
          // A few exact duplicates, so ties fall to the input order.
          if (i % 5 !== 0) hashes.set(rest, i * 32 + 6);
        });
        const reference = specs.map((_, i) => i).sort((a, b) => Buffer.compare(hashes.subarray(a * 32, a * 32 + 32), hashes.subarray(b * 32, b * 32 + 32)) || a - b);
        expect([...sortedByHash(hashes, specs.length)]).toEqual(reference);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a negative energy with the field named', () => {
    expect(() => MeterMerkleTree.build([{ meterId: 'M', periodStartSeconds: 0n, direction: 1, energyWh: -1n, salt: SALT }], keccak)).toThrow('invalid Merkle leaf energyWh: must be a non-negative uint256');
    expect(() => MeterMerkleTree.build([{ meterId: 'M', periodStartSeconds: 0n, direction: 1, energyWh: 1n, salt: new Uint8Array(31) }], keccak)).toThrow('invalid Merkle leaf salt: must be 32 bytes');
  });
});

describe('leaf salts', () => {
  const master = parseLeafSaltKey(`0x${'42'.repeat(32)}`);

  it('derive one HMAC-SHA256 key per group-period-version and keccak256(key ‖ direction ‖ meter id) per leaf', () => {
    const versionKey = leafSaltVersionKey(master, 'BG-01', 1_774_746_000n, 2);
    expect(versionKey).toEqual(createHmac('sha256', master).update('gridledger:leaf-salt:1|BG-01|1774746000|2').digest());
    const expected = keccak.hash(Buffer.concat([versionKey, Buffer.from([1]), Buffer.from('DE0001', 'utf8')]));
    expect(leafSalt(versionKey, 'DE0001', 1, keccak)).toEqual(Buffer.from(expected));
  });

  it('differ per version, direction and meter, and the columns agree with one-by-one salts', () => {
    const v1 = leafSaltVersionKey(master, 'BG-01', 0n, 1);
    const v2 = leafSaltVersionKey(master, 'BG-01', 0n, 2);
    const ids = ['A', 'B', 'A', `long-${'x'.repeat(200)}`];
    const directions = Uint8Array.of(0, 0, 1, 0);
    const salts = leafSalts(v1, ids, directions, keccak);
    const hexes = ids.map((_, i) => salts.toString('hex', i * 32, i * 32 + 32));
    expect(new Set(hexes).size).toBe(4);
    ids.forEach((id, i) => expect(hexes[i]).toBe(leafSalt(v1, id, directions[i] as 0 | 1, keccak).toString('hex')));
    expect(leafSalt(v2, 'A', 0, keccak).toString('hex')).not.toBe(hexes[0]);
  });

  it('refuses a short key', () => {
    expect(() => parseLeafSaltKey('0x1234')).toThrow('at least 32 bytes');
    expect(() => leafSaltVersionKey(new Uint8Array(16), 'G', 0n, 1)).toThrow('at least 32 bytes');
  });
});

describe('EMPTY_GROUP_PERIOD_ROOT', () => {
  it('is keccak256 of the UTF-8 bytes "gridledger:empty-group-period", non-zero', async () => {
    const digest = `0x${Buffer.from(keccak.hash(Buffer.from(EMPTY_GROUP_PERIOD_PREIMAGE, 'utf8'))).toString('hex')}`;
    expect(EMPTY_GROUP_PERIOD_PREIMAGE).toBe('gridledger:empty-group-period');
    expect(EMPTY_GROUP_PERIOD_ROOT).toBe(digest);
    expect(EMPTY_GROUP_PERIOD_ROOT).not.toBe(`0x${'00'.repeat(32)}`);
  });

  it('keccak256 (the project\'s WebAssembly module) agrees with ethers for every input size, and sorts node pairs', async () => {
    for (const size of [0, 1, 31, 32, 64, 135, 136, 137, 224, 16_384, 16_385, 40_000]) {
      const input = Uint8Array.from({ length: size }, (_, i) => (i * 31 + 7) & 255);
      const out = new Uint8Array(40);
      keccak.hashInto(input, out, 5);
      expect([`0x${Buffer.from(keccak.hash(input)).toString('hex')}`, `0x${Buffer.from(out.subarray(5, 37)).toString('hex')}`]).toEqual([keccak256(input), keccak256(input)]);
    }
    const nodes = Buffer.alloc(96);
    nodes.fill(0xbb, 32, 64);
    nodes.fill(0xaa, 64, 96);
    keccak.hashSortedPairInto(nodes, 32, 64, 0);
    expect(`0x${nodes.subarray(0, 32).toString('hex')}`).toBe(keccak256(Buffer.concat([Buffer.alloc(32, 0xaa), Buffer.alloc(32, 0xbb)])));
  });
});

describe('Keccak256 batches (two messages a permutation where their blocks match)', () => {

  it('hashMany gives every message ethers\' keccak256, once or twice, whatever the neighbours\' lengths', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 420 }), { maxLength: 40 }), fc.nat(64), fc.boolean(), (messages, outOffset, twice) => {
        const ends = new Uint32Array(messages.length);
        let end = 0;
        messages.forEach((message, i) => (ends[i] = end += message.length));
        const out = new Uint8Array(outOffset + messages.length * 32);
        keccak.hashMany(Buffer.concat(messages), ends, messages.length, out, outOffset, twice);
        messages.forEach((message, i) => {
          const once = keccak256(message);
          expect(`0x${Buffer.from(out.subarray(outOffset + 32 * i, outOffset + 32 * i + 32)).toString('hex')}`).toBe(twice ? keccak256(once) : once);
        });
      }),
      { numRuns: 150 },
    );
  });

  it('hashMany refuses message ends that decrease or run past the messages, instead of reading elsewhere', () => {
    const out = new Uint8Array(64);
    expect(() => keccak.hashMany(Buffer.alloc(10), Uint32Array.of(5, 3), 2, out, 0, false)).toThrow('message ends must not decrease');
    expect(() => keccak.hashMany(Buffer.alloc(10), Uint32Array.of(5, 11), 2, out, 0, false)).toThrow('every message must end inside the messages');
  });

  it('merkleNodes gives every inner node the sorted pair of its children, as one pair at a time does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (leafCount, seed) => {
        const nodeCount = 2 * leafCount - 1;
        const nodes = Buffer.alloc(nodeCount * 32);
        for (let i = 0; i < nodeCount * 32; i++) nodes[i] = seed[i % 32] ^ (i * 131) ^ (i >> 5);
        const expected = Buffer.from(nodes);
        for (let i = leafCount - 2; i >= 0; i--) {
          const [left, right] = [expected.subarray((2 * i + 1) * 32, (2 * i + 2) * 32), expected.subarray((2 * i + 2) * 32, (2 * i + 3) * 32)];
          const pair = Buffer.compare(left, right) <= 0 ? Buffer.concat([left, right]) : Buffer.concat([right, left]);
          Buffer.from(keccak256(pair).slice(2), 'hex').copy(expected, i * 32);
        }
        keccak.merkleNodes(nodes, leafCount - 2);
        expect(nodes.toString('hex')).toBe(expected.toString('hex'));
      }),
      { numRuns: 100 },
    );
  });
});
