import { batchesOf } from '../../src/commits/commit-batches';

const row = (groupId: string, periodId: string, attempts = 0) => ({ groupId, periodId, attempts });
const P1 = '2026-03-29T01:00:00Z';
const P2 = '2026-03-29T02:00:00Z';

describe('batchesOf: which ready commits share a transaction', () => {
  it('puts the groups of one period together and keeps periods apart', () => {
    const { batches, singles } = batchesOf([row('A', P1), row('B', P2), row('B', P1), row('C', P1), row('A', P2)], 50);
    expect(batches).toEqual([
      [row('A', P1), row('B', P1), row('C', P1)],
      [row('B', P2), row('A', P2)],
    ]);
    expect(singles).toEqual([]);
  });

  it('cuts a period into batches of at most max; a lone leftover goes alone', () => {
    const rows = ['A', 'B', 'C', 'D', 'E'].map((g) => row(g, P1));
    const { batches, singles } = batchesOf(rows, 2);
    expect(batches.map((b) => b.map((r) => r.groupId))).toEqual([
      ['A', 'B'],
      ['C', 'D'],
    ]);
    expect(singles.map((r) => r.groupId)).toEqual(['E']);
  });

  it('sends everything alone with max 1, a period with one ready group alone, and a row refused or reverted before alone', () => {
    expect(batchesOf([row('A', P1), row('B', P1)], 1)).toEqual({ batches: [], singles: [row('A', P1), row('B', P1)] });
    expect(batchesOf([row('A', P1), row('B', P2)], 50)).toEqual({ batches: [], singles: [row('A', P1), row('B', P2)] });
    expect(batchesOf([row('A', P1, 1), row('B', P1), row('C', P1)], 50)).toEqual({ batches: [[row('B', P1), row('C', P1)]], singles: [row('A', P1, 1)] });
  });

  it('never puts two versions of one group in one batch', () => {
    expect(batchesOf([row('A', P1), row('A', P1), row('B', P1)], 50)).toEqual({ batches: [[row('A', P1), row('B', P1)]], singles: [row('A', P1)] });
  });
});
