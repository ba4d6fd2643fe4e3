import { HoldingsTimeline, holdingsValidAt } from '../src/holdings-timeline';
import { exchangesToPublish } from '../src/exchanges';
import { periodReadiness } from '../src/period-readiness';
import { reversalOf, postingSum } from '../src/ledger';

const t = (iso: string): number => Date.parse(iso);

describe('holdings valid at an instant', () => {
  it('keeps past holdings readable: a transfer inside a period counts from the next period', () => {
    const timeline = new HoldingsTimeline().apply('pv-1', [['alice', 100n]], t('2026-03-29T00:50:00Z'));
    let rows = timeline.apply('pv-1', [['alice', 40n], ['bob', 60n]], t('2026-03-29T01:07:00Z')).rows();
    const at0100 = holdingsValidAt(rows, t('2026-03-29T01:00:00Z'));
    expect(at0100.map((r) => [r.holderId, r.sharesW])).toEqual([['alice', 100n]]);
    const at0115 = holdingsValidAt(rows, t('2026-03-29T01:15:00Z'));
    expect(at0115.map((r) => [r.holderId, r.sharesW])).toEqual([['alice', 40n], ['bob', 60n]]);
    rows = timeline.apply('pv-1', [['bob', 0n]], t('2026-03-29T02:00:00Z')).rows();
    expect(holdingsValidAt(rows, t('2026-03-29T02:00:00Z')).map((r) => r.holderId)).toEqual(['alice']);
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.holderId === 'bob')?.validToMs).toBe(t('2026-03-29T02:00:00Z'));
  });
});

describe('exchanges to publish for a new version', () => {
  it('re-sends a vanished pair with zero', () => {
    const v1 = [{ fromGroup: 'A', toGroup: 'B', energyWh: 5n }, { fromGroup: 'A', toGroup: 'C', energyWh: 2n }];
    const v2 = [{ fromGroup: 'A', toGroup: 'B', energyWh: 7n }];
    expect(exchangesToPublish(v1, v2)).toEqual([{ fromGroup: 'A', toGroup: 'B', energyWh: 7n }, { fromGroup: 'A', toGroup: 'C', energyWh: 0n }]);
  });
});

describe('period readiness', () => {
  const base = { nowMs: 2_000, periodEndMs: 1_000, graceMs: 500, priceKnown: true, expectedMeters: 3, arrivedMeters: 3 };
  it('computes when complete, or at the deadline, never while open or without a price', () => {
    expect(periodReadiness(base)).toEqual({ ready: true, reason: 'complete' });
    expect(periodReadiness({ ...base, nowMs: 999 })).toEqual({ ready: false, reason: 'period-open' });
    expect(periodReadiness({ ...base, priceKnown: false })).toEqual({ ready: false, reason: 'no-price' });
    expect(periodReadiness({ ...base, arrivedMeters: 2, nowMs: 1_400 })).toEqual({ ready: false, reason: 'waiting-for-meters' });
    expect(periodReadiness({ ...base, arrivedMeters: 2, nowMs: 1_500 })).toEqual({ ready: true, reason: 'deadline' });
  });
});

describe('ledger reversal', () => {
  it('balances and cancels the original', () => {
    const posting = { key: 'k', kind: 'surplus-sale' as const, holderId: 'h', entries: [{ account: 'market:energy', amountCents: -5n }, { account: 'holder:h', amountCents: 5n }] };
    expect(postingSum(reversalOf(posting))).toBe(0n);
    expect(reversalOf(posting).entries[1].amountCents).toBe(-5n);
  });
});
