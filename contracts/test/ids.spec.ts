import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { LEAF_TYPES, MeterLeaf, directionCode, groupKey, periodIdOf, periodStartSeconds, standardMerkleRoot } from '../src';

describe('standardMerkleRoot', () => {
  const leavesOf = (count: number): MeterLeaf[] =>
    Array.from({ length: count }, (_, i) => [`MELO-${i}`, 1_774_746_000n, directionCode(i % 2 === 0 ? 'production' : 'consumption'), BigInt(i * 1_000 + 7)]);

  it.each([1, 2, 3, 5, 8, 13, 100])('equals StandardMerkleTree.of for %i leaves', (count) => {
    const leaves = leavesOf(count);
    expect(standardMerkleRoot(leaves)).toBe(StandardMerkleTree.of(leaves.map((l) => [...l]), [...LEAF_TYPES]).root);
  });

  it('refuses an empty tree', () => {
    expect(() => standardMerkleRoot([])).toThrow('at least one leaf');
  });
});

describe('ids', () => {
  it('turns period ids into unix seconds and back', () => {
    expect(periodStartSeconds('2026-03-29T01:00:00Z')).toBe(1_774_746_000n);
    expect(periodIdOf(1_774_746_000n)).toBe('2026-03-29T01:00:00Z');
    expect(() => periodStartSeconds('2026-03-29 01:00')).toThrow('periodId');
  });

  it('keys groups by keccak256 of their id', () => {
    expect(groupKey('GRP-NORTH')).toMatch(/^0x[0-9a-f]{64}$/);
    expect(groupKey('GRP-NORTH')).not.toBe(groupKey('GRP-SOUTH'));
  });
});
