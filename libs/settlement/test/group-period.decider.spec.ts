import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { Keccak256, METER_LEAF_TYPES, ValuesDigest, leafSalt, loadKeccak256, valuesDigest } from '@gridledger/domain';
import { deciderSpec } from '@gridledger/testing';
import {
  EMPTY_MERKLE_ROOT,
  GroupPeriodCommand,
  GroupPeriodDecider,
  GroupPeriodEvent,
  GroupPeriodState,
  SettledVersion,
  TSO_ACCOUNT,
  balancesOf,
  brpAccount,
  groupPeriodDecider,
  meterValuesOf,
  postingsOf,
  versionSaltKey,
} from '../src';

const GROUP = 'BG-NORTH';
const PERIOD = '2026-03-29T01:00:00Z';
/** 01:15 is the period end; the gate deadline is 30 minutes later. */
const PERIOD_END_MS = Date.parse('2026-03-29T01:15:00Z');
const DEADLINE_AFTER_END_MS = 30 * 60_000;
const CONTEXT = { groupId: GROUP, periodId: PERIOD, periodLength: 'PT15M' as const, gateDeadlineMs: DEADLINE_AFTER_END_MS };
const START_SECONDS = String(Date.parse(PERIOD) / 1000);
const LEAF_SALT_KEY = Buffer.alloc(32, 0x5a);
const saltHex = (keccak: Keccak256, version: number, meterId: string, direction: 0 | 1): string =>
  `0x${leafSalt(versionSaltKey(LEAF_SALT_KEY, GROUP, BigInt(START_SECONDS), version), meterId, direction, keccak).toString('hex')}`;

const expect3: GroupPeriodCommand = {
  type: 'RecordExpectedMeters',
  meters: [
    { meterId: 'PV-1', direction: 'production' },
    { meterId: 'HH-1', direction: 'consumption' },
    { meterId: 'HH-2', direction: 'consumption' },
  ],
};
const tick = (nowMs: number, previousDay: Record<string, bigint> = {}): Extract<GroupPeriodCommand, { type: 'CloseGateIfDue' }> => ({ type: 'CloseGateIfDue', nowMs, previousDayValues: new Map(Object.entries(previousDay)) });
const values = (...list: [string, 'production' | 'consumption', bigint][]): GroupPeriodCommand => ({
  type: 'RecordMeterValues',
  values: list.map(([meterId, direction, energyWh]) => ({ meterId, direction, energyWh })),
});
const allThree = values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n], ['HH-2', 'consumption', 2n]);
const price: GroupPeriodCommand = { type: 'RecordPrice', imbalancePricePerMWh: 12_345n }; // 123.45 €/MWh
const settleChanges: GroupPeriodCommand = { type: 'SettleChanges' };
const settledOf = (events: readonly GroupPeriodEvent[]): SettledVersion[] => events.flatMap((e) => (e.type === 'PeriodSettled' ? [e.settled] : []));

describe('group period decider', () => {
  let decider: GroupPeriodDecider;
  let spec: ReturnType<typeof deciderSpec<GroupPeriodCommand, GroupPeriodEvent, GroupPeriodState>>;

  beforeAll(async () => {
    decider = groupPeriodDecider(CONTEXT, { keccak: await loadKeccak256(), leafSaltKey: LEAF_SALT_KEY });
    spec = deciderSpec(decider);
  });

  describe('netting', () => {
    it('given feed-in, feed-out and a schedule out of the group, when the gate closes, then imbalance = in − out − schedules', () => {
      const events = spec
        .givenCommands(
          expect3,
          { type: 'RecordSchedule', schedule: { scheduleId: 's1', periodId: PERIOD, fromGroup: GROUP, toGroup: 'BG-SOUTH', energyWh: 200n } },
          { type: 'RecordSchedule', schedule: { scheduleId: 's2', periodId: PERIOD, fromGroup: 'BG-WEST', toGroup: GROUP, energyWh: 50n } },
          values(['PV-1', 'production', 1_000n], ['HH-1', 'consumption', 300n]),
        )
        .when(values(['HH-2', 'consumption', 100n]))
        .events();
      const [settled] = settledOf(events);
      expect(settled.totals).toEqual({ feedInWh: 1_000n, feedOutWh: 400n, scheduleNetWh: 150n, imbalanceWh: 450n, meterCount: 3, substitutedCount: 0 });
      expect(settled).toMatchObject({ version: 1, trigger: 'complete' });
    });

    it('given no schedules, then the schedule net is zero', () => {
      const [settled] = settledOf(spec.givenCommands(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n])).when(values(['HH-2', 'consumption', 2n])).events());
      expect(settled.totals).toMatchObject({ scheduleNetWh: 0n, imbalanceWh: 5n });
    });
  });

  describe('gate closure', () => {
    it('given all but one expected meter, when the last one reports, then the gate closes as complete and version 1 settles', () => {
      const events = spec.givenCommands(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n])).when(values(['HH-2', 'consumption', 2n])).events();
      expect(events.map((e) => e.type)).toEqual(['MeterValuesRecorded', 'GateClosed', 'PeriodSettled']);
      expect(events[1]).toEqual({ type: 'GateClosed', reason: 'complete', substitutes: [] });
    });

    it('given a missing meter, when the clock is before the deadline, then the gate stays open', () => {
      spec.givenCommands(expect3, values(['PV-1', 'production', 10n])).when(tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS - 1)).then([]);
    });

    it('given every expected meter recorded while the tick was pending, when the clock ticks before the deadline, then the gate closes as complete', () => {
      const history = spec.givenCommands(expect3).history;
      const events = spec.given(...history, { type: 'MeterValuesRecorded', values: meterValuesOf(spec.givenCommands(allThree).state.meters) }).when(tick(PERIOD_END_MS)).events();
      expect(events.map((e) => e.type)).toEqual(['GateClosed', 'PeriodSettled']);
      expect(settledOf(events)[0].trigger).toBe('complete');
    });

    it('given missing meters, when the deadline passes, then they are substituted (previous day, else zero) and flagged', () => {
      const events = spec.givenCommands(expect3, values(['PV-1', 'production', 10n])).when(tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS, { 'HH-1|consumption': 7n })).events();
      expect(events[0]).toEqual({
        type: 'GateClosed',
        reason: 'deadline',
        substitutes: [
          { meterId: 'HH-1', direction: 'consumption', energyWh: 7n, substituted: true },
          { meterId: 'HH-2', direction: 'consumption', energyWh: 0n, substituted: true },
        ],
        substitutionReason: 'deadline',
      });
      const [settled] = settledOf(events);
      expect(settled.trigger).toBe('deadline');
      expect(settled.totals).toMatchObject({ feedInWh: 10n, feedOutWh: 7n, imbalanceWh: 3n, meterCount: 3, substitutedCount: 2 });
      expect(settled.substitutionReason).toBe('deadline');
    });

    it('given no registry entry and no values, when the deadline passes, then it settles empty with the empty root', () => {
      const [settled] = settledOf(spec.given().when(tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS)).events());
      expect(settled.merkleRoot).toBe(EMPTY_MERKLE_ROOT);
      expect(settled.totals.meterCount).toBe(0);
    });

    it('given a settled period, when the clock ticks again, then nothing happens', () => {
      spec.givenCommands(expect3, allThree).when(tick(PERIOD_END_MS + 10 * DEADLINE_AFTER_END_MS)).then([]);
    });
  });

  describe('against the manifest of what meter-ingest accepted', () => {
    const digestOf = (...list: [string, 'production' | 'consumption', bigint][]) => valuesDigest(list.map(([meterId, direction, energyWh]) => ({ meterId, direction, energyWh })));
    const PV = ['PV-1', 'production', 10n] as [string, 'production', bigint];
    const HH1 = ['HH-1', 'consumption', 3n] as [string, 'consumption', bigint];
    const HH2 = ['HH-2', 'consumption', 2n] as [string, 'consumption', bigint];
    const inputs = (manifest: ValuesDigest | null, received: ValuesDigest) => ({ manifest: manifest && { ...manifest, revision: 1 }, received });
    const deadline = PERIOD_END_MS + DEADLINE_AFTER_END_MS;
    // The service records values outside the decider (given as events), then ticks the gate.
    const holding = (...list: [string, 'production' | 'consumption', bigint][]) => [...spec.givenCommands(expect3).history, { type: 'MeterValuesRecorded' as const, values: list.map(([meterId, direction, energyWh]) => ({ meterId, direction, energyWh, substituted: false })) }];

    it('given every meter in but no manifest yet, when the clock ticks before the deadline, then the gate stays open', () => {
      spec.given(...holding(PV, HH1, HH2)).when({ ...tick(PERIOD_END_MS), inputs: inputs(null, digestOf(PV, HH1, HH2)) }).then([]);
    });

    it('given every meter in and the manifest matching, when the clock ticks, then it settles as complete', () => {
      const events = spec.given(...holding(PV, HH1, HH2)).when({ ...tick(PERIOD_END_MS), inputs: inputs(digestOf(HH2, PV, HH1), digestOf(PV, HH1, HH2)) }).events();
      expect(events.map((e) => e.type)).toEqual(['GateClosed', 'PeriodSettled']);
    });

    it('given a value meter-ingest accepted but balancing lacks, when the deadline passes, then nothing settles on substitutes: a re-send is requested', () => {
      spec
        .given(...holding(PV, HH1))
        .when({ ...tick(deadline), inputs: inputs(digestOf(PV, HH1, HH2), digestOf(PV, HH1)) })
        .then([{ type: 'ResendRequested', expected: digestOf(PV, HH1, HH2), received: digestOf(PV, HH1), missing: 1 }]);
    });

    it('given the same count but another value, when the deadline passes, then a re-send is requested too', () => {
      const events = spec.given(...holding(PV, HH1)).when({ ...tick(deadline), inputs: inputs(digestOf(PV, ['HH-1', 'consumption', 4n]), digestOf(PV, HH1)) }).events();
      expect(events).toEqual([expect.objectContaining({ type: 'ResendRequested', missing: 0 })]);
    });

    it('given the manifest matches and a meter meter-ingest never received, when the deadline passes, then only that meter is substituted, and the version says why', () => {
      const events = spec.given(...holding(PV, HH1)).when({ ...tick(deadline), inputs: inputs(digestOf(PV, HH1), digestOf(HH1, PV)) }).events();
      expect(events[0]).toEqual({ type: 'GateClosed', reason: 'deadline', substitutes: [{ meterId: 'HH-2', direction: 'consumption', energyWh: 0n, substituted: true }], substitutionReason: 'not-received-by-meter-ingest' });
      expect(settledOf(events)[0]).toMatchObject({ trigger: 'deadline', substitutionReason: 'not-received-by-meter-ingest', totals: { substitutedCount: 1 } });
    });

    it('given a settled period whose new value is not yet all in, when asked to settle the changes, then it waits for a re-send', () => {
      const settled = spec.givenCommands(expect3, allThree).history;
      spec.given(...settled).when({ type: 'SettleChanges', inputs: inputs(digestOf(PV, HH1, HH2, ['X-1', 'production', 1n]), digestOf(PV, HH1, HH2)) }).then([{ type: 'ResendRequested', expected: digestOf(PV, HH1, HH2, ['X-1', 'production', 1n]), received: digestOf(PV, HH1, HH2), missing: 1 }]);
    });
  });

  describe('what counts as a changed value', () => {
    it('given a recorded value, when the same value arrives again, then nothing happens', () => {
      spec.givenCommands(expect3, values(['PV-1', 'production', 10n])).when(values(['PV-1', 'production', 10n])).then([]);
    });

    it('given a batch naming a meter twice, then the last value counts', () => {
      const events = spec.givenCommands(expect3).when(values(['PV-1', 'production', 10n], ['PV-1', 'production', 12n])).events();
      expect(events).toEqual([{ type: 'MeterValuesRecorded', values: [{ meterId: 'PV-1', direction: 'production', energyWh: 12n, substituted: false }] }]);
    });

    it('given a substitute, when the real value arrives with the same energy, then it replaces the substitute in a correction with the same leaves', () => {
      const given = spec.givenCommands(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n]), tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS, { 'HH-2|consumption': 4n }));
      const [version1] = given.state.versions;
      const [version2] = settledOf(given.when(values(['HH-2', 'consumption', 4n])).events());
      expect(version1.totals.substitutedCount).toBe(1);
      expect(version2).toMatchObject({ version: 2, trigger: 'correction', totals: { ...version1.totals, substitutedCount: 0 } });
      // Each version salts its leaves anew, so the same leaves give another root.
      expect(version2.merkleRoot).not.toBe(version1.merkleRoot);
    });

    it('given a substituted meter, when its real value arrives after settlement, then a correction replaces the substitute', () => {
      const [version2] = settledOf(spec.givenCommands(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n]), tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS)).when(values(['HH-2', 'consumption', 1n])).events());
      expect(version2).toMatchObject({ version: 2, trigger: 'correction', totals: { substitutedCount: 0, feedOutWh: 4n } });
    });
  });

  describe('corrections', () => {
    it('given settled version 1, when a different value arrives, then version 2 settles with the difference and version 1 stays as it was', () => {
      const given = spec.givenCommands(expect3, allThree);
      const [version1] = given.state.versions;
      const when = given.when(values(['HH-1', 'consumption', 5n]));
      const [version2] = settledOf(when.events());
      expect(version2).toMatchObject({ version: 2, trigger: 'correction' });
      expect(version2.totals.imbalanceWh - version1.totals.imbalanceWh).toBe(-2n);
      expect(version2.merkleRoot).not.toBe(version1.merkleRoot);
      expect(when.stateAfter().versions).toEqual([version1, version2]);
    });

    it('given values recorded by the store after settlement, when the settler settles the changes, then version 2 is a correction', () => {
      const settled = spec.givenCommands(expect3, allThree).history;
      const changed: GroupPeriodEvent = { type: 'MeterValuesRecorded', values: [{ meterId: 'HH-1', direction: 'consumption', energyWh: 5n, substituted: false }] };
      const [version2] = settledOf(spec.given(...settled, changed).when(settleChanges).events());
      expect(version2).toMatchObject({ version: 2, trigger: 'correction', totals: { feedOutWh: 7n, imbalanceWh: 3n } });
    });

    it('given a settled period whose inputs did not change, when the settler settles the changes, then no version opens', () => {
      spec.givenCommands(expect3, allThree).when(settleChanges).then([]);
    });

    it('given a schedule that moves nothing, when it arrives after settlement, then it is recorded and no empty version opens', () => {
      const schedule = { scheduleId: 's0', periodId: PERIOD, fromGroup: GROUP, toGroup: 'BG-SOUTH', energyWh: 0n };
      spec.givenCommands(expect3, allThree).when({ type: 'RecordSchedule', schedule }).then([{ type: 'ScheduleRecorded', schedule }]);
    });

    it('given an open period, when the settler settles changes, then nothing happens (the gate decides first)', () => {
      spec.givenCommands(expect3, values(['PV-1', 'production', 10n])).when(settleChanges).then([]);
    });
  });

  describe('ledger', () => {
    it('given a price, when the period settles, then the imbalance is priced once (half away from zero) and the posting balances', () => {
      const [settled] = settledOf(spec.givenCommands(price, expect3, values(['PV-1', 'production', 100_000n], ['HH-1', 'consumption', 59_500n])).when(values(['HH-2', 'consumption', 500n])).events());
      // 40,000 Wh × 12,345 c/MWh = 493.8 c → 494 c owed by the TSO to the BRP.
      expect(settled.imbalanceAmount).toBe(494n);
      expect(settled.posting?.entries).toEqual([
        { account: brpAccount(GROUP), debit: 0n, credit: 494n },
        { account: TSO_ACCOUNT, debit: 494n, credit: 0n },
      ]);
    });

    it('given a short group, then the BRP is debited and a half cent rounds away from zero', () => {
      const [settled] = settledOf(
        spec.givenCommands({ type: 'RecordPrice', imbalancePricePerMWh: 10_000n }, expect3, values(['PV-1', 'production', 0n], ['HH-1', 'consumption', 50n])).when(values(['HH-2', 'consumption', 0n])).events(),
      );
      // −50 Wh × 100 €/MWh = −0.5 c → −1 c.
      expect(settled.imbalanceAmount).toBe(-1n);
      expect(settled.posting?.entries[0]).toEqual({ account: brpAccount(GROUP), debit: 1n, credit: 0n });
    });

    it('given a correction, then only the difference is posted and balances equal the latest amount', () => {
      const given = spec.givenCommands(price, expect3, values(['PV-1', 'production', 100_000n], ['HH-1', 'consumption', 59_500n], ['HH-2', 'consumption', 500n]));
      const when = given.when(values(['HH-2', 'consumption', 20_500n]));
      const [version2] = settledOf(when.events());
      expect(version2.imbalanceAmount).toBe(247n); // 20,000 Wh → 246.9 c → 247 c
      expect(version2.posting?.entries[0]).toEqual({ account: brpAccount(GROUP), debit: 247n, credit: 0n });
      const balances = balancesOf(postingsOf(when.stateAfter()));
      expect(balances.get(brpAccount(GROUP))).toBe(247n);
      expect(balances.get(TSO_ACCOUNT)).toBe(-247n);
      expect(version2.ledgerDigest).not.toBe(given.state.versions[0].ledgerDigest);
    });

    it('given no price at settlement, then energy settles unpriced; when the price arrives, then version 2 is priced: the same leaves under the salts of version 2', () => {
      const given = spec.givenCommands(expect3, values(['PV-1', 'production', 2_000_000n], ['HH-1', 'consumption', 0n], ['HH-2', 'consumption', 0n]));
      const [version1] = given.state.versions;
      expect(version1).toMatchObject({ imbalanceAmount: null, posting: null });
      const [version2] = settledOf(given.when(price).events());
      expect(version2).toMatchObject({ version: 2, trigger: 'priced', imbalanceAmount: 24_690n });
      expect(version2.merkleRoot).not.toBe(version1.merkleRoot);
    });

    it('given the store recorded a price after settlement, when the settler settles the changes, then version 2 is priced', () => {
      const settled = spec.givenCommands(expect3, allThree).history;
      const [version2] = settledOf(spec.given(...settled, { type: 'PriceRecorded', imbalancePricePerMWh: 12_345n }).when(settleChanges).events());
      expect(version2).toMatchObject({ version: 2, trigger: 'priced', totals: spec.givenCommands(expect3, allThree).state.versions[0].totals });
    });
  });

  describe('commitment and confirmation', () => {
    it('given a settled period, then its root is the OpenZeppelin StandardMerkleTree root of every meter, salted per version', async () => {
      const keccak = await loadKeccak256();
      const { state } = spec.givenCommands(expect3, allThree);
      const leaves = (version: number) => [
        ['PV-1', START_SECONDS, 1, '10', saltHex(keccak, version, 'PV-1', 1)],
        ['HH-1', START_SECONDS, 0, '3', saltHex(keccak, version, 'HH-1', 0)],
        ['HH-2', START_SECONDS, 0, '2', saltHex(keccak, version, 'HH-2', 0)],
      ];
      expect(state.versions[0].merkleRoot).toBe(StandardMerkleTree.of(leaves(1), [...METER_LEAF_TYPES]).root);
      // The same values in version 2 hash to another root: a correction shows nothing about which leaves changed.
      const [version2] = settledOf(spec.given(...spec.givenCommands(expect3, allThree).history, { type: 'PriceRecorded', imbalancePricePerMWh: 1n }).when(settleChanges).events());
      expect(version2.merkleRoot).toBe(StandardMerkleTree.of(leaves(2), [...METER_LEAF_TYPES]).root);
      expect(version2.merkleRoot).not.toBe(state.versions[0].merkleRoot);
    });

    it('given a root worked out elsewhere for the rows as loaded, then decide uses it; rows the decision changed are hashed here', async () => {
      const keccak = await loadKeccak256();
      const loaded = spec.givenCommands(expect3, values(['PV-1', 'production', 10n], ['HH-1', 'consumption', 3n]));
      const complete = spec.given(...loaded.history, { type: 'MeterValuesRecorded', values: [{ meterId: 'HH-2', direction: 'consumption', energyWh: 2n, substituted: false }] });
      const withRoot = (state: GroupPeriodState) => groupPeriodDecider(CONTEXT, { keccak, leafSaltKey: LEAF_SALT_KEY, knownRoot: (meters, version) => (meters === state.meters && version === 1 ? '0xfromworkers' : undefined) });
      expect(settledOf(withRoot(complete.state).decide(tick(PERIOD_END_MS), complete.state))[0].merkleRoot).toBe('0xfromworkers');
      const deadline = withRoot(loaded.state).decide(tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS), loaded.state);
      expect(settledOf(deadline)[0].merkleRoot).toBe(settledOf(decider.decide(tick(PERIOD_END_MS + DEADLINE_AFTER_END_MS), loaded.state))[0].merkleRoot);
    });

    it('given version 1 settled, when the chain confirms it, then the period is confirmed; a correction later settles version 2', () => {
      const settled = spec.givenCommands(expect3, allThree);
      settled.when({ type: 'ConfirmOnChain', version: 1 }).then([{ type: 'PeriodConfirmed', version: 1 }]);
      settled.when({ type: 'ConfirmOnChain', version: 2 }).thenRefused('VERSION_NOT_SETTLED', 'version');
      const confirmed = spec.givenCommands(expect3, allThree, { type: 'ConfirmOnChain', version: 1 });
      expect(confirmed.state.status).toBe('confirmed');
      confirmed.when({ type: 'ConfirmOnChain', version: 1 }).then([]);
      expect(settledOf(confirmed.when(values(['PV-1', 'production', 11n])).events())[0].version).toBe(2);
    });
  });

  describe('refusals', () => {
    it('refuses a negative or unbounded value, naming it', () => {
      const error = spec.givenCommands(expect3).when(values(['PV-1', 'production', 1n], ['HH-1', 'consumption', -1n])).thenRefused('ENERGY_OUT_OF_RANGE', 'values[1].energyWh');
      expect(error.reason).toContain('HH-1');
      spec.given().when(values(['PV-1', 'production', 10n ** 18n + 1n])).thenRefused('ENERGY_OUT_OF_RANGE', 'values[0].energyWh');
    });

    it('refuses a schedule within one group or with negative energy', () => {
      spec.given().when({ type: 'RecordSchedule', schedule: { scheduleId: 's', periodId: PERIOD, fromGroup: GROUP, toGroup: GROUP, energyWh: 1n } }).thenRefused('SAME_GROUP', 'schedule.toGroup');
      spec.given().when({ type: 'RecordSchedule', schedule: { scheduleId: 's', periodId: PERIOD, fromGroup: GROUP, toGroup: 'BG-SOUTH', energyWh: -1n } }).thenRefused('ENERGY_OUT_OF_RANGE', 'schedule.energyWh');
    });
  });
});
