import { ChainCommitment, checkMarketTotals } from '../../src/finalization/market-check';

const totals = (feedInWh: bigint, feedOutWh: bigint, scheduleNetWh = 0n) => ({ feedInWh, feedOutWh, scheduleNetWh, imbalanceWh: feedInWh - feedOutWh - scheduleNetWh });
const ROOT_A = `0x${'aa'.repeat(32)}`;
const ROOT_B = `0x${'bb'.repeat(32)}`;
const summaryGroup = (groupId: string, version: number, root: string, t: ReturnType<typeof totals>) => ({
  groupId,
  version,
  merkleRoot: root,
  feedInWh: String(t.feedInWh),
  feedOutWh: String(t.feedOutWh),
  scheduleNetWh: String(t.scheduleNetWh),
  imbalanceWh: String(t.imbalanceWh),
});
const committed = (version: number, merkleRoot: string, t: ReturnType<typeof totals>, blockNumber = 10): ChainCommitment => ({ version, merkleRoot, totals: t, blockNumber });
const CHAIN = { head: 12, confirmations: 2 };

describe('the finalizer recomputes the market totals from the chain before it finalizes', () => {
  const a = totals(100n, 40n);
  const b = totals(10n, 50n, -5n);
  const summary = { groups: [summaryGroup('A', 1, ROOT_A, a), summaryGroup('B', 2, ROOT_B, b)], totals: totals(110n, 90n, -5n) };

  it('given every group committed and confirmed as balancing says, then ready with the totals summed from the chain', () => {
    const check = checkMarketTotals(summary, new Map([['A', committed(1, ROOT_A, a)], ['B', committed(2, ROOT_B, b)]]), CHAIN);
    expect(check).toEqual({ kind: 'ready', totals: totals(110n, 90n, -5n) });
  });

  it('waits for a version not on chain, one newer than the summary, and one not deep enough', () => {
    expect(checkMarketTotals(summary, new Map([['A', committed(1, ROOT_A, a)], ['B', committed(1, ROOT_B, b)]]), CHAIN)).toEqual({ kind: 'wait', reason: 'waiting for B v2 on chain (it has v1)' });
    expect(checkMarketTotals(summary, new Map([['A', committed(2, ROOT_A, a)]]), CHAIN)).toMatchObject({ kind: 'wait', reason: expect.stringContaining('newer than this summary') });
    expect(checkMarketTotals(summary, new Map([['A', committed(1, ROOT_A, a, 12)]]), CHAIN)).toEqual({ kind: 'wait', reason: 'waiting for A v1 to be confirmed (depth 1 of 2)' });
  });

  it('refuses, naming the first difference, when a group on chain differs from balancing', () => {
    const otherTotals = totals(100n, 41n);
    expect(checkMarketTotals(summary, new Map([['A', committed(1, ROOT_A, otherTotals)], ['B', committed(2, ROOT_B, b)]]), CHAIN)).toEqual({
      kind: 'refuse',
      reason: "A v1: feedOutWh on chain 41, balancing's summary says 40",
    });
    expect(checkMarketTotals(summary, new Map([['A', committed(1, ROOT_B, a)], ['B', committed(2, ROOT_B, b)]]), CHAIN)).toMatchObject({ kind: 'refuse', reason: expect.stringContaining('A v1: root on chain') });
  });

  it("refuses when balancing's market totals are not the sum of its groups as committed", () => {
    const inflated = { ...summary, totals: totals(111n, 90n, -5n) };
    expect(checkMarketTotals(inflated, new Map([['A', committed(1, ROOT_A, a)], ['B', committed(2, ROOT_B, b)]]), CHAIN)).toEqual({
      kind: 'refuse',
      reason: "market feedInWh: 110 recomputed from the groups' commitments on chain, balancing's summary says 111",
    });
  });
});
