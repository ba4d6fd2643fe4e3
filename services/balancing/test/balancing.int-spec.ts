import { randomBytes } from 'node:crypto';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { METER_LEAF_TYPES, formatInstant, periodIdOf, parsePeriodId } from '@gridledger/domain';
import { BalancingProofReply, CapacityExchangeScheduled, MarketPricesPublished, MeterIntervalsMeasured, MeterPointsRegistered } from '@gridledger/events';
import type { MessagingClient } from '@gridledger/messaging';
import { SpawnedService, TestDatabase, connectTestMessaging, testNatsEnv, createTestDatabase, deleteNamespaceStreams, asMeasuredVersion1, measuredIntervalsBatch, randomNamespace, spawnService, waitFor } from '@gridledger/testing';
import { TEST_LEAF_SALT_KEY, saltedLeaf } from './support/balancing-under-test';
import { startTestRoles, type TestRoles } from './support/roles';

/**
 * The service as a process over real NATS JetStream and Postgres: a run killed (SIGKILL)
 * mid-period and restarted settles exactly like an uninterrupted run; a replay of the
 * streams into an empty database reproduces the same books and roots; every meter's proof
 * from the API verifies with @openzeppelin/merkle-tree.
 */
const GROUPS = ['BG-A', 'BG-B', 'BG-C'];
const MPO = `0x${'11'.repeat(20)}`;
const DSO = `0x${'22'.repeat(20)}`;
const PERIOD = periodIdOf(Date.now());
const PERIOD_START_MS = parsePeriodId(PERIOD);
const IMBALANCE_PRICE = '12345';

interface Meter {
  meterId: string;
  groupId: string;
  direction: 'production' | 'consumption';
  energyWh: bigint;
}

const meters: Meter[] = GROUPS.flatMap((groupId, g) =>
  Array.from({ length: 40 }, (_, i) => ({
    meterId: `M-${g}-${String(i).padStart(3, '0')}`,
    groupId,
    direction: (i % 3 === 0 ? 'production' : 'consumption') as Meter['direction'],
    energyWh: BigInt(((i + 1) * 7_919 * (g + 3)) % 50_000),
  })),
);

function registryEvent() {
  return MeterPointsRegistered.create({
    data: {
      requestedBy: 'operator',
      points: meters.map((m) => ({
        meterId: m.meterId,
        direction: m.direction,
        mpo: MPO,
        dso: DSO,
        groupId: m.groupId,
        supplier: null,
        connectionLimitW: '30000',
        validFrom: formatInstant(PERIOD_START_MS - 24 * 3_600_000),
        validTo: null,
      })),
    },
    idParts: ['registry', PERIOD],
    occurredAt: new Date(),
  });
}

/**
 * Four batches per group, part-major (A0 B0 C0 A1 …) so no group is complete before the last
 * third; batch ids are deterministic so every run sends identical events.
 */
function intervalBatches() {
  return [0, 1, 2, 3].flatMap((part) =>
    GROUPS.map((groupId) => {
      const ofGroup = meters.filter((m) => m.groupId === groupId);
      return measuredIntervalsBatch({
        label: `${groupId}-${part}-${PERIOD}`,
        mpo: MPO,
        groupId,
        receivedAt: new Date().toISOString(),
        intervals: ofGroup.filter((_, i) => i % 4 === part).map((m) => ({ meterId: m.meterId, direction: m.direction, periodId: PERIOD, energyWh: m.energyWh })),
        occurredAt: new Date(),
      });
    }),
  );
}

async function publishMarketInputs(messaging: MessagingClient): Promise<void> {
  await messaging.publishEvent(MeterPointsRegistered, registryEvent());
  await messaging.publishEvent(
    MarketPricesPublished,
    MarketPricesPublished.create({ data: { periodId: PERIOD, imbalancePricePerMWh: IMBALANCE_PRICE, energyPricePerMWh: '8000' }, idParts: [PERIOD], occurredAt: new Date() }),
  );
  await messaging.publishEvent(
    CapacityExchangeScheduled,
    CapacityExchangeScheduled.create({
      data: { periodId: PERIOD, periodLength: 'PT15M', version: 1, fromGroup: 'BG-A', toGroup: 'BG-B', energyWh: '1234' },
      idParts: [PERIOD, 'BG-A', 'BG-B', '1'],
      occurredAt: new Date(),
    }),
  );
}

/** Every third batch as schema version 1 wrote it: a stream from before the upgrade settles the same. */
async function publishBatches(messaging: MessagingClient, batches: ReturnType<typeof intervalBatches>): Promise<void> {
  for (const [index, batch] of batches.entries()) {
    if (index % 3 === 0) await messaging.publishRaw(MeterIntervalsMeasured.subject(batch.data.groupId), JSON.stringify(asMeasuredVersion1(batch)), { eventId: batch.id, eventType: batch.type });
    else await messaging.publishEvent(MeterIntervalsMeasured, batch, batch.data.groupId);
  }
}

/** The RoleRegistry every balancing of this file mirrors; reads go in its market operator's session. */
let roles: TestRoles;

function start(db: TestDatabase, namespace: string, consumerPrefix = 'balancing'): Promise<SpawnedService> {
  return spawnService({
    entry: 'services/balancing/src/main.ts',
    env: { DATABASE_URL: db.url, ...testNatsEnv(), NATS_NAMESPACE: namespace, BALANCING_SETTLE_INTERVAL_MS: '200', BALANCING_CONSUMER_ACK_WAIT_MS: '3000', BALANCING_CONSUMER_PREFIX: consumerPrefix, BALANCING_REQUIRE_MANIFEST: 'false', BALANCING_LEAF_SALT_KEY: TEST_LEAF_SALT_KEY, LOG_LEVEL: 'warn', ...roles.env },
    readyTimeoutMs: 60_000,
  });
}

function query<T>(db: TestDatabase, sql: string): Promise<T[]> {
  return db.query<T>(sql);
}

async function waitSettled(service: SpawnedService): Promise<void> {
  await waitFor(
    async () => {
      for (const group of GROUPS) {
        const response = await roles.read(`${service.url}/groups/${group}/periods/${PERIOD}`);
        if (response.status !== 200) return false;
        const body = (await response.json()) as { latest: unknown };
        if (!body.latest) return false;
      }
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'every group of the period to settle' },
  );
}

/** The books as stored: versions (without the wall-clock settledAt), ledger entries, closures. */
async function books(db: TestDatabase) {
  const versions = await query(
    db,
    `SELECT group_id, period_id, version, trigger, feed_in_wh, feed_out_wh, schedule_net_wh, imbalance_wh, imbalance_price_per_mwh,
            imbalance_amount, ledger_digest, merkle_root, meter_count, substituted_count FROM balancing.period_versions ORDER BY group_id, version`,
  );
  const ledger = await query(db, `SELECT posting_id, account, debit, credit FROM balancing.ledger_entries ORDER BY posting_id, account`);
  const closures = await query(db, `SELECT period_id, revision, groups_digest FROM balancing.period_closures ORDER BY period_id, revision`);
  return { versions, ledger, closures };
}

describe('balancing service over NATS and Postgres', () => {
  const databases: TestDatabase[] = [];
  const namespaces: string[] = [];
  const services: SpawnedService[] = [];
  const clients: MessagingClient[] = [];

  async function fresh(): Promise<{ db: TestDatabase; namespace: string; messaging: MessagingClient }> {
    const db = await createTestDatabase();
    const namespace = randomNamespace();
    const messaging = await connectTestMessaging({ namespace, name: 'balancing-test' });
    await messaging.ensureStreams();
    databases.push(db);
    namespaces.push(namespace);
    clients.push(messaging);
    return { db, namespace, messaging };
  }

  beforeAll(async () => {
    roles = await startTestRoles();
  }, 60_000);

  afterAll(async () => {
    // Whatever the outcome, stop every process this file started (by its handle, never by name).
    await Promise.all(services.map((s) => s.kill()));
    await roles?.stop();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(namespaces.map((ns) => deleteNamespaceStreams(ns)));
    await Promise.all(databases.map((db) => db.drop()));
  });

  it('killed mid-period and restarted settles like an uninterrupted run; a replay reproduces the books; every proof verifies', async () => {
    const batches = intervalBatches();

    // Uninterrupted run.
    const calm = await fresh();
    const calmService = await start(calm.db, calm.namespace);
    services.push(calmService);
    await publishMarketInputs(calm.messaging);
    await publishBatches(calm.messaging, batches);
    await waitSettled(calmService);
    const calmBooks = await books(calm.db);

    // Run killed with SIGKILL after half the batches, one more sent as it dies; restarted.
    const crash = await fresh();
    const first = await start(crash.db, crash.namespace);
    services.push(first);
    await publishMarketInputs(crash.messaging);
    await publishBatches(crash.messaging, batches.slice(0, 6));
    await waitFor(async () => (await query<{ n: string }>(crash.db, `SELECT count(*) AS n FROM balancing.meter_values`))[0].n === String(6 * 10), {
      timeoutMs: 30_000,
      what: 'half the values to be stored',
    });
    const dying = publishBatches(crash.messaging, batches.slice(6, 7));
    await first.kill();
    await dying;
    const versionsBeforeRestart = await query(crash.db, `SELECT * FROM balancing.period_versions`);
    expect(versionsBeforeRestart).toEqual([]);
    const second = await start(crash.db, crash.namespace);
    services.push(second);
    // The tail, with one batch sent twice (JetStream drops it) and one re-sent under a new id (a no-op).
    await publishBatches(crash.messaging, [...batches.slice(6), batches[8]]);
    const resent = MeterIntervalsMeasured.create({ data: batches[0].data, idParts: ['resent', batches[0].data.batchId], occurredAt: new Date() });
    await crash.messaging.publishEvent(MeterIntervalsMeasured, resent, resent.data.groupId);
    await waitSettled(second);
    const crashBooks = await books(crash.db);
    expect(crashBooks).toEqual(calmBooks);

    // Conservation and the direct computation.
    for (const group of GROUPS) {
      const of = meters.filter((m) => m.groupId === group);
      const feedIn = of.filter((m) => m.direction === 'production').reduce((s, m) => s + m.energyWh, 0n);
      const feedOut = of.filter((m) => m.direction === 'consumption').reduce((s, m) => s + m.energyWh, 0n);
      const scheduleNet = group === 'BG-A' ? 1234n : group === 'BG-B' ? -1234n : 0n;
      const body = (await (await roles.read(`${second.url}/groups/${group}/periods/${PERIOD}`)).json()) as { latest: Record<string, string | number> };
      expect(body.latest).toMatchObject({
        version: 1,
        trigger: 'complete',
        feedInWh: feedIn.toString(),
        feedOutWh: feedOut.toString(),
        scheduleNetWh: scheduleNet.toString(),
        imbalanceWh: (feedIn - feedOut - scheduleNet).toString(),
        imbalancePricePerMWh: IMBALANCE_PRICE,
        meterCount: of.length,
        substitutedCount: 0,
      });
      const leaves = await Promise.all(of.map((m) => saltedLeaf(group, BigInt(PERIOD_START_MS / 1000), 1, m.meterId, m.direction, m.energyWh)));
      const reference = StandardMerkleTree.of(leaves, [...METER_LEAF_TYPES]);
      expect(body.latest.merkleRoot).toBe(reference.root);

      // Every meter's proof from the API verifies against the period's root.
      for (const meter of of) {
        const proof = (await (await roles.read(`${second.url}/groups/${group}/periods/${PERIOD}/proofs/${meter.meterId}`)).json()) as Extract<BalancingProofReply, { ok: true }>;
        expect(proof.root).toBe(body.latest.merkleRoot);
        expect(proof.leaf).toEqual(await saltedLeaf(group, BigInt(PERIOD_START_MS / 1000), 1, meter.meterId, meter.direction, meter.energyWh));
        expect(StandardMerkleTree.verify(proof.root, [...METER_LEAF_TYPES], proof.leaf, proof.proof)).toBe(true);
      }
    }
    const balances = (await (await roles.read(`${second.url}/ledger/balances`)).json()) as { total: string; accounts: number; items: { account: string }[] };
    expect(balances).toMatchObject({ total: '0', accounts: 4 });
    expect(balances.items.map((a) => a.account)).toEqual(['brp:BG-A', 'brp:BG-B', 'brp:BG-C', 'tso']);

    // The proof over NATS request/reply, as chain-bridge asks for it.
    const natsProof = await crash.messaging.request<BalancingProofReply>('balancing.proof.requested', { groupId: 'BG-C', periodId: PERIOD, meterId: 'M-2-007' });
    expect(natsProof).toMatchObject({ ok: true, version: 1, groupId: 'BG-C' });

    // Replay the crashed run's streams into an empty database with new durable consumers.
    await second.stop();
    const replayDb = await createTestDatabase();
    databases.push(replayDb);
    const replay = await start(replayDb, crash.namespace, `replay-${randomBytes(3).toString('hex')}`);
    services.push(replay);
    await waitSettled(replay);
    expect(await books(replayDb)).toEqual(crashBooks);
  }, 300_000);

  it('two replicas on one database share consumers and settlement work: each version and summary exactly once, same books', async () => {
    const shared = await fresh();
    // One after the other: the first runs the migrations (they take no lock of their own).
    const replicas: SpawnedService[] = [];
    for (let i = 0; i < 2; i++) {
      replicas.push(await start(shared.db, shared.namespace));
      services.push(replicas[i]);
    }
    await publishMarketInputs(shared.messaging);
    await publishBatches(shared.messaging, intervalBatches());
    await waitSettled(replicas[1]);
    // Let both workers tick a few more times: nothing may be settled twice.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const shareBooks = await books(shared.db);
    expect(shareBooks.versions).toHaveLength(GROUPS.length);
    expect(shareBooks.closures).toHaveLength(1);
    const roots = shareBooks.versions.map((v) => (v as { merkle_root: string }).merkle_root);
    for (const [i, group] of GROUPS.entries()) {
      const of = meters.filter((m) => m.groupId === group);
      const leaves = await Promise.all(of.map((m) => saltedLeaf(group, BigInt(PERIOD_START_MS / 1000), 1, m.meterId, m.direction, m.energyWh)));
      expect(roots[i]).toBe(StandardMerkleTree.of(leaves, [...METER_LEAF_TYPES]).root);
    }
    const outbox = await query<{ event_type: string; n: string }>(shared.db, `SELECT event_type, count(*) AS n FROM balancing.outbox GROUP BY event_type ORDER BY event_type`);
    expect(outbox).toEqual([
      { event_type: 'balancing.period.closed', n: '1' },
      { event_type: 'balancing.period.settled', n: String(GROUPS.length) },
    ]);
  }, 180_000);
});
