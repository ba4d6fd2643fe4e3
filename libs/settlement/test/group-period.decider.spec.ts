import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { METER_LEAF_TYPES } from '@gridledger/domain';
import { GroupPeriodEvent, SettledVersion, balancesOf, brpAccount, EMPTY_MERKLE_ROOT, TSO_ACCOUNT, postingsOf } from '../src';
import { DEADLINE_AFTER_END_MS, GROUP, PERIOD, PERIOD_END_MS, given, loadTestKeccak, stateAfter } from './given-when-then';

const START_SECONDS = String(Date.parse(PERIOD) / 1000);
const expect3 = {
  type: 'RecordExpectedMeters' as const,
  meters: [
    { meterId: 'PV-1', direction: 'production' as const },
    { meterId: 'HH-1', direction: 'consumption' as const },
    { meterId: 'HH-2', direction: 'consumption' as const },
  ],
};
const tick = (nowMs: number, previousDay: Record<string, bigint> = {}) => ({
  type: 'CloseGateIfDue' as const,
  nowMs,
  previousDayValues: new Map(Object.entries(previousDay)),
});
const values = (...list: [string, 'production' | 'consumption', bigint][]) => ({
  type: 'RecordMeterValues' as const,
  values: list.map(([meterId, direction, energyWh]) => ({ meterId, direction, energyWh })),
});
const settledOf = (events: GroupPeriodEvent[]): SettledVersion[] => events.flatMap((e) => (e.type === 'PeriodSettled' ? [e.settled] : []));

describe('group period decider', () => {
  beforeAll(loadTestKeccak);

  describe('netting', () => {
    it('given feed-in, feed-out and a schedule out of the group, when the gate closes, then imbalance = in − out − schedules', () => {
      const { when } = given(
        expect3,
        { type: 'RecordSchedule', schedule: { scheduleId: 's1', periodId: PERIOD, fromGroup: GROUP, toGroup: 'BG-SOUTH', energyWh: 200n } },
        { type: 'RecordSchedule', schedule: { scheduleId: 's2', periodId: PERIOD, fromGroup: 'BG-WEST', toGroup: GROUP, energyWh: 50n } },
        values(['PV-1', 'production', 1_000n], ['HH-1', 'consumption', 300n]),
      );
      const [settled] = settledOf(when(values(['HH-2', 'consumption', 100n])));
      expect(settled.totals).toEqual({ feedInWh: 1_000n, feedOutWh: 400n, scheduleNetWh: 150n, imbalanceWh: 450n, meterCount: 3, substitutedCount: 0 });
      expect(settled.version).toBe(1);
      expect(settled.trigger).toBe('complete');
    });

    it('given no schedules, then the schedule net is zero', () => {
      const { when } = given(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n]));
      const [settled] = settledOf(when(values(['HH-2', 'consumption', 2n])));
      expect(settled.totals.scheduleNetWh).toBe(0n);
      expect(settled.totals.imbalanceWh).toBe(5n);
    });
  });

  describe('gate closure', () => {
    it('given all but one expected meter, when the last one reports, then the gate closes as complete and version 1 settles', () => {
      const { when } = given(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n]));
      const events = when(values(['HH-2', 'consumption', 2n]));
      expect(events.map((e) => e.type)).toEqual(['MeterValueRecorded', 'GateClosed', 'PeriodSettled']);
      expect(events[1]).toEqual({ type: 'GateClosed', reason: 'complete', substitutes: [] });
    });

    it('given a missing meter, when the clock is before the deadline, then the gate stays open', () => {
      const { when } = given(expect3, values(['PV-1', 'production', 10n]));
      expect(when(tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS - 1))).toEqual([]);
    });

    it('given missing meters, when the deadline passes, then they are substituted (previous day, else zero) and flagged', () => {
      const { when } = given(expect3, values(['PV-1', 'production', 10n]));
      const events = when(tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS, { 'HH-1|consumption': 7n }));
      expect(events[0]).toEqual({
        type: 'GateClosed',
        reason: 'deadline',
        substitutes: [
          { meterId: 'HH-1', direction: 'consumption', energyWh: 7n, substituted: true },
          { meterId: 'HH-2', direction: 'consumption', energyWh: 0n, substituted: true },
        ],
      });
      const [settled] = settledOf(events);
      expect(settled.trigger).toBe('deadline');
      expect(settled.totals).toMatchObject({ feedInWh: 10n, feedOutWh: 7n, imbalanceWh: 3n, meterCount: 3, substitutedCount: 2 });
    });

    it('given no registry entry and no values, when the deadline passes, then it settles empty with the zero root', () => {
      const { when } = given();
      const [settled] = settledOf(when(tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS)));
      expect(settled.merkleRoot).toBe(EMPTY_MERKLE_ROOT);
      expect(settled.totals.meterCount).toBe(0);
    });

    it('given a settled period, when the clock ticks again, then nothing happens', () => {
      const { when } = given(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n], ['HH-2', 'consumption', 2n]));
      expect(when(tick(PERIOD_END_MS + 10 * DEADLINE_AFTER_END_MS))).toEqual([]);
    });
  });

  describe('idempotency and corrections', () => {
    it('given a recorded value, when the same value arrives again, then nothing happens', () => {
      const { when } = given(expect3, values(['PV-1', 'production', 10n]));
      expect(when(values(['PV-1', 'production', 10n]))).toEqual([]);
    });

    it('given settled version 1, when a different value arrives, then version 2 settles with the difference and version 1 stays as it was', () => {
      const { when, state } = given(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n], ['HH-2', 'consumption', 2n]));
      const version1 = state.versions[0];
      const events = when(values(['HH-1', 'consumption', 5n]));
      const [version2] = settledOf(events);
      expect(version2.version).toBe(2);
      expect(version2.trigger).toBe('correction');
      expect(version2.totals.imbalanceWh - version1.totals.imbalanceWh).toBe(-2n);
      expect(version2.merkleRoot).not.toBe(version1.merkleRoot);
      const after = stateAfter([...given(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n], ['HH-2', 'consumption', 2n])).history, ...events]);
      expect(after.versions[0]).toEqual(version1);
    });

    it('given a substituted meter, when its real value arrives after settlement, then a correction replaces the substitute', () => {
      const { when } = given(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n]), tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS));
      const [version2] = settledOf(when(values(['HH-2', 'consumption', 0n])));
      expect(version2.totals.substitutedCount).toBe(0);
      expect(version2.version).toBe(2);
    });
  });

  describe('ledger', () => {
    const price = { type: 'RecordPrice' as const, imbalancePricePerMWh: 12_345n }; // 123.45 €/MWh

    it('given a price, when the period settles, then the imbalance is priced once (half away from zero) and the posting balances', () => {
      const { when } = given(price, expect3, values(['PV-1', 'production', 100_000n], ['HH-1', 'consumption', 59_500n]));
      const [settled] = settledOf(when(values(['HH-2', 'consumption', 500n])));
      // 40,000 Wh × 12,345 c/MWh = 493.8 c → 494 c owed by the TSO to the BRP.
      expect(settled.imbalanceAmount).toBe(494n);
      expect(settled.posting?.entries).toEqual([
        { account: brpAccount(GROUP), debit: 0n, credit: 494n },
        { account: TSO_ACCOUNT, debit: 494n, credit: 0n },
      ]);
    });

    it('given a short group, then the BRP is debited and a half cent rounds away from zero', () => {
      const { when } = given({ type: 'RecordPrice', imbalancePricePerMWh: 10_000n }, expect3, values(['PV-1', 'production', 0n], ['HH-1', 'consumption', 50n]));
      const [settled] = settledOf(when(values(['HH-2', 'consumption', 0n])));
      // −50 Wh × 100 €/MWh = −0.5 c → −1 c.
      expect(settled.imbalanceAmount).toBe(-1n);
      expect(settled.posting?.entries[0]).toEqual({ account: brpAccount(GROUP), debit: 1n, credit: 0n });
    });

    it('given a correction, then only the difference is posted and balances equal the latest amount', () => {
      const { when, history } = given(price, expect3, values(['PV-1', 'production', 100_000n], ['HH-1', 'consumption', 59_500n], ['HH-2', 'consumption', 500n]));
      const events = when(values(['HH-2', 'consumption', 20_500n]));
      const [version2] = settledOf(events);
      expect(version2.imbalanceAmount).toBe(247n); // 20,000 Wh → 246.9 c → 247 c
      expect(version2.posting?.entries[0]).toEqual({ account: brpAccount(GROUP), debit: 247n, credit: 0n });
      const balances = balancesOf(postingsOf(stateAfter([...history, ...events])));
      expect(balances.get(brpAccount(GROUP))).toBe(247n);
      expect(balances.get(TSO_ACCOUNT)).toBe(-247n);
      expect(version2.ledgerDigest).not.toBe(settledOf(history)[0].ledgerDigest);
    });

    it('given no price at settlement, then energy settles unpriced; when the price arrives, then version 2 is priced with the same root', () => {
      const { when, history } = given(expect3, values(['PV-1', 'production', 2_000_000n], ['HH-1', 'consumption', 0n], ['HH-2', 'consumption', 0n]));
      const [version1] = settledOf(history);
      expect(version1.imbalanceAmount).toBeNull();
      expect(version1.posting).toBeNull();
      const [version2] = settledOf(when(price));
      expect(version2).toMatchObject({ version: 2, trigger: 'priced', imbalanceAmount: 24_690n, merkleRoot: version1.merkleRoot });
    });
  });

  describe('commitment and confirmation', () => {
    it('given a settled period, then its root is the OpenZeppelin StandardMerkleTree root of every meter', () => {
      const { state } = given(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n], ['HH-2', 'consumption', 2n]));
      const reference = StandardMerkleTree.of(
        [
          ['PV-1', START_SECONDS, 1, '10'],
          ['HH-1', START_SECONDS, 0, '3'],
          ['HH-2', START_SECONDS, 0, '2'],
        ],
        [...METER_LEAF_TYPES],
      );
      expect(state.versions[0].merkleRoot).toBe(reference.root);
    });

    it('given version 1 settled, when the chain confirms it, then the period is confirmed; a correction later settles version 2', () => {
      const { when, history } = given(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n], ['HH-2', 'consumption', 2n]));
      expect(when({ type: 'ConfirmOnChain', version: 1 })).toEqual([{ type: 'PeriodConfirmed', version: 1 }]);
      expect(() => when({ type: 'ConfirmOnChain', version: 2 })).toThrow('version: version 2 was never settled');
      const confirmed = given(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n], ['HH-2', 'consumption', 2n]), { type: 'ConfirmOnChain', version: 1 });
      expect(confirmed.state.status).toBe('confirmed');
      expect(settledOf(confirmed.when(values(['PV-1', 'production', 11n])))[0].version).toBe(2);
      expect(history.at(-1)?.type).toBe('PeriodSettled');
    });

    it('refuses a negative value, naming the field', () => {
      const { when } = given(expect3);
      expect(() => when(values(['PV-1', 'production', -1n]))).toThrow('values[PV-1].energyWh: must not be negative');
    });
  });
});
