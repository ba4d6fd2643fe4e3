import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import fc from 'fast-check';
import { Keccak256, METER_LEAF_TYPES, leafSalt, loadKeccak256, priceEnergy, runCommand } from '@gridledger/domain';
import {
  GroupPeriodCommand,
  GroupPeriodDecider,
  GroupPeriodState,
  IncomingMeterValue,
  SettledVersion,
  TSO_ACCOUNT,
  balancesOf,
  brpAccount,
  changedValues,
  groupPeriodDecider,
  postingsOf,
  summarizeMarketPeriod,
  valueOf,
  versionSaltKey,
} from '../src';

const PERIOD = '2026-03-29T01:00:00Z';
const START_SECONDS = String(Date.parse(PERIOD) / 1000);
const GROUPS = ['BG-A', 'BG-B', 'BG-C'];
const DEADLINE_AFTER_END_MS = 30 * 60_000;
const LEAF_SALT_KEY = Buffer.alloc(32, 0x33);
const saltHex = (keccak: Keccak256, groupId: string, version: number, meterId: string, direction: 'production' | 'consumption'): string =>
  `0x${leafSalt(versionSaltKey(LEAF_SALT_KEY, groupId, BigInt(START_SECONDS), version), meterId, direction === 'production' ? 1 : 0, keccak).toString('hex')}`;

/** One decider per group, as the service builds one per group-period it settles. */
function decidersOf(keccak: Keccak256): (groupId: string) => GroupPeriodDecider {
  const deciders = new Map<string, GroupPeriodDecider>();
  return (groupId) => {
    let decider = deciders.get(groupId);
    if (!decider) deciders.set(groupId, (decider = groupPeriodDecider({ groupId, periodId: PERIOD, periodLength: 'PT15M', gateDeadlineMs: DEADLINE_AFTER_END_MS }, { keccak, leafSaltKey: LEAF_SALT_KEY })));
    return decider;
  };
}

interface MeterFixture {
  meterId: string;
  groupId: string;
  direction: 'production' | 'consumption';
  energyWh: bigint;
}

interface MarketFixture {
  meters: MeterFixture[];
  schedules: { from: string; to: string; energyWh: bigint }[];
  duplicates: number[];
  batchSize: number;
  seed: number;
}

const marketArbitrary: fc.Arbitrary<MarketFixture> = fc
  .record({
    meters: fc.uniqueArray(
      fc.record({
        meterId: fc.stringMatching(/^[A-Z][A-Z0-9]{0,7}$/),
        groupId: fc.constantFrom(...GROUPS),
        direction: fc.constantFrom<'production' | 'consumption'>('production', 'consumption'),
        energyWh: fc.bigInt({ min: 0n, max: 10n ** 12n }),
      }),
      { minLength: 1, maxLength: 40, selector: (meter) => meter.meterId },
    ),
    schedules: fc.array(fc.record({ from: fc.constantFrom(...GROUPS), to: fc.constantFrom(...GROUPS), energyWh: fc.bigInt({ min: 0n, max: 10n ** 9n }) }), { maxLength: 4 }),
    duplicates: fc.array(fc.nat(), { maxLength: 20 }),
    batchSize: fc.integer({ min: 1, max: 7 }),
    seed: fc.integer(),
  })
  .map((market) => ({ ...market, schedules: market.schedules.filter((s) => s.from !== s.to) }));

/** The market run through the deciders: values in random order, with duplicates, in batches. */
function settleThroughDeciders(market: MarketFixture, deliveryOrder: MeterFixture[], keccak: Keccak256) {
  const states = new Map<string, GroupPeriodState>();
  const settled = new Map<string, SettledVersion>();
  const deciderOf = decidersOf(keccak);
  const apply = (groupId: string, command: GroupPeriodCommand): void => {
    const decider = deciderOf(groupId);
    const { events, state } = runCommand(decider, command, states.get(groupId) ?? decider.initialState());
    for (const event of events) if (event.type === 'PeriodSettled') settled.set(groupId, event.settled);
    states.set(groupId, state);
  };
  const groups = [...new Set(market.meters.map((m) => m.groupId))];
  market.schedules.forEach((s, i) => {
    const schedule = { scheduleId: `s${i}`, periodId: PERIOD, fromGroup: s.from, toGroup: s.to, energyWh: s.energyWh };
    for (const groupId of [s.from, s.to]) if (groups.includes(groupId)) apply(groupId, { type: 'RecordSchedule', schedule });
  });
  for (const groupId of groups) {
    apply(groupId, { type: 'RecordExpectedMeters', meters: market.meters.filter((m) => m.groupId === groupId).map(({ meterId, direction }) => ({ meterId, direction })) });
  }
  for (let i = 0; i < deliveryOrder.length; i += market.batchSize) {
    const batch = deliveryOrder.slice(i, i + market.batchSize);
    for (const groupId of new Set(batch.map((m) => m.groupId))) {
      apply(groupId, { type: 'RecordMeterValues', values: batch.filter((m) => m.groupId === groupId) });
    }
  }
  return { states, settled, groups };
}

describe('settlement property', () => {
  it('random meters delivered in random order with duplicates settle to the totals and roots of a direct computation, and conserve energy', async () => {
    const keccak = await loadKeccak256();
    fc.assert(
      fc.property(marketArbitrary, (market) => {
        const withDuplicates = [...market.meters, ...market.duplicates.map((d) => market.meters[d % market.meters.length])];
        const order = shuffle(withDuplicates, market.seed);
        const { settled, states, groups } = settleThroughDeciders(market, order, keccak);

        for (const groupId of groups) {
          const meters = market.meters.filter((m) => m.groupId === groupId);
          const version = settled.get(groupId);
          expect(version?.version).toBe(1);
          expect(states.get(groupId)?.versions).toHaveLength(1);
          let feedIn = 0n;
          let feedOut = 0n;
          for (const m of meters) if (m.direction === 'production') feedIn += m.energyWh;
          else feedOut += m.energyWh;
          let scheduleNet = 0n;
          for (const s of market.schedules) scheduleNet += (s.from === groupId ? s.energyWh : 0n) - (s.to === groupId ? s.energyWh : 0n);
          expect(version?.totals).toMatchObject({ feedInWh: feedIn, feedOutWh: feedOut, scheduleNetWh: scheduleNet, meterCount: meters.length });
          expect(version!.totals.imbalanceWh).toBe(version!.totals.feedInWh - version!.totals.feedOutWh - version!.totals.scheduleNetWh);
          const reference = StandardMerkleTree.of(
            meters.map((m) => [m.meterId, START_SECONDS, m.direction === 'production' ? 1 : 0, m.energyWh.toString(), saltHex(keccak, groupId, 1, m.meterId, m.direction)]),
            [...METER_LEAF_TYPES],
          );
          expect(version?.merkleRoot).toBe(reference.root);
        }

        const summary = summarizeMarketPeriod(
          PERIOD,
          [...settled.values()].map((v) => ({ groupId: v.groupId, version: v.version, merkleRoot: v.merkleRoot, ...v.totals })),
        );
        expect(summary.totals.imbalanceWh).toBe(summary.totals.feedInWh - summary.totals.feedOutWh - summary.totals.scheduleNetWh);
      }),
      { numRuns: 80 },
    );
  });
});

describe('corrections property', () => {
  it('corrections after settlement open contiguous versions, never edit earlier ones, end at the direct computation of the final values and books, and the service path (store, then SettleChanges) settles the same versions', async () => {
    const keccak = await loadKeccak256();
    const correctionArbitrary = fc.array(fc.record({ pick: fc.nat(), energyWh: fc.bigInt({ min: 0n, max: 10n ** 9n }) }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(marketArbitrary, correctionArbitrary, fc.integer({ min: 1, max: 4 }), (market, corrections, batchSize) => {
        const price = 9_999n;
        const states = new Map<string, GroupPeriodState>();
        const history = new Map<string, SettledVersion[]>();
        const deciderOf = decidersOf(keccak);
        const apply = (groupId: string, command: GroupPeriodCommand): void => {
          const decider = deciderOf(groupId);
          const { events, state } = runCommand(decider, command, states.get(groupId) ?? decider.initialState());
          for (const event of events) if (event.type === 'PeriodSettled') history.set(groupId, [...(history.get(groupId) ?? []), event.settled]);
          states.set(groupId, state);
        };
        const finalValues = new Map(market.meters.map((m) => [m.meterId, { ...m }]));
        const groups = [...new Set(market.meters.map((m) => m.groupId))];
        for (const groupId of groups) {
          apply(groupId, { type: 'RecordPrice', imbalancePricePerMWh: price });
          apply(groupId, { type: 'RecordExpectedMeters', meters: market.meters.filter((m) => m.groupId === groupId).map(({ meterId, direction }) => ({ meterId, direction })) });
          apply(groupId, { type: 'RecordMeterValues', values: market.meters.filter((m) => m.groupId === groupId) });
        }
        const firstVersions = new Map(groups.map((g) => [g, history.get(g)![0]]));
        // The service's way: values stored as they arrive (by the same changedValues rule),
        // the settler then decides SettleChanges on the loaded state. It must agree with the
        // command path above version for version.
        const stored = new Map(groups.map((g) => [g, states.get(g)!]));
        const storeAndSettle = (groupId: string, values: readonly IncomingMeterValue[]): void => {
          const decider = deciderOf(groupId);
          let state = stored.get(groupId)!;
          const changed = changedValues(values, (key) => valueOf(state.meters, key));
          if (changed.length > 0) state = decider.evolve(state, { type: 'MeterValuesRecorded', values: changed });
          stored.set(groupId, runCommand(decider, { type: 'SettleChanges' }, state).state);
        };
        for (let i = 0; i < corrections.length; i += batchSize) {
          const batch = corrections.slice(i, i + batchSize).map(({ pick, energyWh }) => ({ ...market.meters[pick % market.meters.length], energyWh }));
          for (const value of batch) finalValues.set(value.meterId, value);
          for (const groupId of new Set(batch.map((v) => v.groupId))) {
            apply(groupId, { type: 'RecordMeterValues', values: batch.filter((v) => v.groupId === groupId) });
            storeAndSettle(groupId, batch.filter((v) => v.groupId === groupId));
          }
        }
        for (const groupId of groups) expect(stored.get(groupId)!.versions).toEqual(states.get(groupId)!.versions);

        for (const groupId of groups) {
          const versions = history.get(groupId)!;
          expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1));
          expect(versions[0]).toEqual(firstVersions.get(groupId));
          const state = states.get(groupId)!;
          expect(state.versions).toEqual(versions);
          const latest = versions[versions.length - 1];
          const final = [...finalValues.values()].filter((m) => m.groupId === groupId);
          const feedIn = final.filter((m) => m.direction === 'production').reduce((sum, m) => sum + m.energyWh, 0n);
          const feedOut = final.filter((m) => m.direction === 'consumption').reduce((sum, m) => sum + m.energyWh, 0n);
          expect(latest.totals).toMatchObject({ feedInWh: feedIn, feedOutWh: feedOut, imbalanceWh: feedIn - feedOut });
          expect(latest.merkleRoot).toBe(
            StandardMerkleTree.of(
              final.map((m) => [m.meterId, START_SECONDS, m.direction === 'production' ? 1 : 0, m.energyWh.toString(), saltHex(keccak, groupId, latest.version, m.meterId, m.direction)]),
              [...METER_LEAF_TYPES],
            ).root,
          );
          const balances = balancesOf(postingsOf(state));
          expect(balances.get(brpAccount(groupId)) ?? 0n).toBe(priceEnergy(feedIn - feedOut, price));
          expect((balances.get(brpAccount(groupId)) ?? 0n) + (balances.get(TSO_ACCOUNT) ?? 0n)).toBe(0n);
        }
      }),
      { numRuns: 60 },
    );
  });
});

/** Deterministic Fisher-Yates from fast-check's seed, so a failure replays. */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed >>> 0 || 1;
  for (let i = copy.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
