import { Contract, JsonRpcProvider } from 'ethers';
import { EMPTY_GROUP_PERIOD_ROOT, formatInstant, parsePeriodId, periodIdOf } from '@gridledger/domain';
import { CapacityExchangeScheduled, MeterIntervalsMeasured, MeterPointsRegistered, type EventEnvelope } from '@gridledger/events';
import { SettlementCascadeArtifact, periodStartSeconds } from '@gridledger/contracts';
import { testNatsEnv, measuredIntervalsBatch, spawnService, waitFor, type SpawnedService } from '@gridledger/testing';
import { BridgeHarness } from './bridge.harness';
import { rootOfByPlainRpc } from './plain-rpc';

/**
 * A group-period without meters, across the three: balancing's real service settles it with
 * EMPTY_GROUP_PERIOD_ROOT, chain-bridge commits it, the contract accepts it, and the TSO's
 * finalization of the period (which needs every registered group) goes through on chain.
 * GRP-ALPHA has meters; GRP-BETA has none in the period, only a schedule from GRP-ALPHA.
 */
jest.setTimeout(300_000);

const MPO = `0x${'11'.repeat(20)}`;
const DSO = `0x${'22'.repeat(20)}`;
// A quarter hour that has ended, so the gate deadline of the meterless group has passed.
const PERIOD = periodIdOf(Date.now() - 2 * 3_600_000);
const PERIOD_START_MS = parsePeriodId(PERIOD);
const SCHEDULED_WH = 1_234n;
const ALPHA_METERS = [
  { meterId: 'DE-ALPHA-1', direction: 'production' as const, energyWh: 5_000n },
  { meterId: 'DE-ALPHA-2', direction: 'consumption' as const, energyWh: 3_250n },
  { meterId: 'DE-ALPHA-3', direction: 'consumption' as const, energyWh: 1_000n },
];

type Data = Record<string, unknown>;
const dataOf = (event: EventEnvelope) => event.data as Data;

interface VersionRow {
  group_id: string;
  version: number;
  feed_in_wh: string;
  feed_out_wh: string;
  schedule_net_wh: string;
  imbalance_wh: string;
  merkle_root: string;
  meter_count: number;
}

describe('a group-period with no meters: balancing → chain-bridge → contract → finalization', () => {
  const harness = new BridgeHarness();
  let balancing: SpawnedService | undefined;

  beforeAll(() => harness.setUp());
  afterAll(async () => {
    await balancing?.kill();
    await harness.tearDown();
  });

  it('settles with the empty root, is committed and accepted on chain, and the period is finalized', async () => {
    // Market inputs first, so balancing settles on all of them (it waits while its consumers catch up).
    await harness.messaging.publishEvent(
      MeterPointsRegistered,
      MeterPointsRegistered.create({
        data: {
          requestedBy: 'operator',
          points: ALPHA_METERS.map((m) => ({
            meterId: m.meterId,
            direction: m.direction,
            mpo: MPO,
            dso: DSO,
            groupId: 'GRP-ALPHA',
            supplier: null,
            connectionLimitW: '30000',
            validFrom: formatInstant(PERIOD_START_MS - 24 * 3_600_000),
            validTo: null,
          })),
        },
        idParts: ['registry', PERIOD],
        occurredAt: new Date(),
      }),
    );
    const batch = measuredIntervalsBatch({
      label: `meterless-${PERIOD}`,
      mpo: MPO,
      groupId: 'GRP-ALPHA',
      receivedAt: new Date().toISOString(),
      intervals: ALPHA_METERS.map((m) => ({ meterId: m.meterId, direction: m.direction, periodId: PERIOD, energyWh: m.energyWh })),
      occurredAt: new Date(),
    });
    await harness.messaging.publishEvent(MeterIntervalsMeasured, batch, 'GRP-ALPHA');
    await harness.messaging.publishEvent(
      CapacityExchangeScheduled,
      CapacityExchangeScheduled.create({
        data: { periodId: PERIOD, periodLength: 'PT15M', version: 1, fromGroup: 'GRP-ALPHA', toGroup: 'GRP-BETA', energyWh: SCHEDULED_WH.toString() },
        idParts: [PERIOD, 'GRP-ALPHA', 'GRP-BETA', '1'],
        occurredAt: new Date(),
      }),
    );

    balancing = await spawnService({
      entry: 'services/balancing/src/main.ts',
      env: {
        DATABASE_URL: harness.db.url,
        ...testNatsEnv(),
        NATS_NAMESPACE: harness.ns,
        BALANCING_GATE_DEADLINE_MS: '1000',
        BALANCING_SETTLE_INTERVAL_MS: '200',
        // Measured events come from this test, not from a meter-ingest: no manifests to match.
        BALANCING_REQUIRE_MANIFEST: 'false',
        BALANCING_MERKLE_THREADS: '0',
        // balancing's role mirror: the cascade is its own RoleRegistry.
        CHAIN_RPC_URL: harness.anvil.url,
        ROLE_REGISTRY_ADDRESS: harness.cascadeAddress,
        LOG_LEVEL: 'warn',
      },
      readyTimeoutMs: 90_000,
    });
    await harness.startBridge();

    // balancing's own books: the meterless group settled with the empty root and zero meter totals.
    const versions = await waitFor(
      async () => {
        const rows = await harness.query<VersionRow>(
          `SELECT group_id, version, feed_in_wh, feed_out_wh, schedule_net_wh, imbalance_wh, merkle_root, meter_count
           FROM balancing.period_versions WHERE period_id = $1 ORDER BY group_id, version`,
          [PERIOD],
        );
        return rows.some((r) => r.group_id === 'GRP-ALPHA') && rows.some((r) => r.group_id === 'GRP-BETA') ? rows : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: 'both groups of the period settled by balancing' },
    );
    const beta = versions.filter((v) => v.group_id === 'GRP-BETA');
    expect(beta).toHaveLength(1);
    expect(beta[0]).toMatchObject({ merkle_root: EMPTY_GROUP_PERIOD_ROOT, meter_count: 0, feed_in_wh: '0', feed_out_wh: '0' });
    expect(BigInt(beta[0].schedule_net_wh)).not.toBe(0n);
    expect(BigInt(beta[0].imbalance_wh)).toBe(-BigInt(beta[0].schedule_net_wh));
    const alpha = versions.filter((v) => v.group_id === 'GRP-ALPHA').at(-1) as VersionRow;
    expect(alpha).toMatchObject({ feed_in_wh: '5000', feed_out_wh: '4250', meter_count: 3 });
    expect(alpha.merkle_root).not.toBe(EMPTY_GROUP_PERIOD_ROOT);

    // chain-bridge commits both; depth 2 needs a block after each commit.
    await harness.waitForEvents('chain.period.committed', 2, 90_000);
    const finalized = await waitFor(
      async () => {
        await harness.mine(1);
        return harness.events('chain.period.finalized').find((e) => dataOf(e).periodId === PERIOD);
      },
      { timeoutMs: 120_000, intervalMs: 500, what: `the finalization of ${PERIOD} confirmed` },
    );

    const confirmed = harness.events('chain.period.confirmed').filter((e) => dataOf(e).periodId === PERIOD);
    const confirmedBeta = confirmed.find((e) => dataOf(e).groupId === 'GRP-BETA');
    expect(confirmedBeta && dataOf(confirmedBeta)).toMatchObject({ version: 1, merkleRoot: EMPTY_GROUP_PERIOD_ROOT });
    // The contract holds the empty root for the meterless group, read with a bare eth_call.
    const start = periodStartSeconds(PERIOD);
    expect(await rootOfByPlainRpc(harness.anvil.url, harness.cascadeAddress, 'GRP-BETA', start, 1)).toBe(EMPTY_GROUP_PERIOD_ROOT);

    // The finalization counted both groups, with the market totals balancing published.
    const latest = [alpha, beta[0]];
    const sum = (pick: (v: VersionRow) => string) => latest.reduce((total, v) => total + BigInt(pick(v)), 0n).toString();
    expect(dataOf(finalized)).toMatchObject({
      periodId: PERIOD,
      groups: [
        { groupId: 'GRP-ALPHA', version: alpha.version },
        { groupId: 'GRP-BETA', version: 1 },
      ],
      totals: { feedInWh: sum((v) => v.feed_in_wh), feedOutWh: sum((v) => v.feed_out_wh), scheduleNetWh: sum((v) => v.schedule_net_wh), imbalanceWh: sum((v) => v.imbalance_wh) },
    });
    const provider = new JsonRpcProvider(harness.anvil.url, undefined, { staticNetwork: true });
    try {
      const cascade = new Contract(harness.cascadeAddress, SettlementCascadeArtifact.abi, provider);
      const [, committedGroups, isFinalized] = (await cascade.periodState(start)) as [unknown, bigint, boolean];
      expect({ committedGroups, isFinalized }).toEqual({ committedGroups: 2n, isFinalized: true });
    } finally {
      provider.destroy();
    }

    // Nothing refused or dead-lettered on the way.
    expect(harness.events('chain.period.rejected')).toEqual([]);
    expect(harness.events('platform.message.deadlettered')).toEqual([]);
  });
});
