import { Wallet } from 'ethers';
import { Client } from 'pg';
import { formatInstant } from '@gridledger/domain';
import { signJsonBody } from '@gridledger/metering';
import type { MessagingClient } from '@gridledger/messaging';
import { connectTestMessaging, createTestDatabase, deleteNamespaceStreams, randomNamespace, spawnService, testNatsEnv, waitFor, type SpawnedService, type TestDatabase } from '@gridledger/testing';

// A lost write: meter-ingest accepted a batch and published its measured event, and the event
// is gone from the stream before balancing reads it (deleted by hand, as JetStream may lose an
// acknowledged write). balancing must not settle that meter on a substitute: the manifest says
// what meter-ingest accepted, balancing's values do not match it, it asks for a re-send, and
// settles on the true values. Only the meter meter-ingest itself never heard from is substituted.

jest.setTimeout(180_000);

const OPERATOR_TOKEN = 'operator-token-for-integrity-tests-01';
const GROUP = 'BG-LOST';
const mpo = Wallet.createRandom();
const dso = Wallet.createRandom().address;
// A quarter hour that ended a while ago (intake refuses the future; the gate deadline is 1 ms).
const PERIOD = formatInstant(Math.floor((Date.now() - 3 * 3_600_000) / 900_000) * 900_000);

describe('a measured event lost from the stream', () => {
  const namespace = randomNamespace();
  let ingestDb: TestDatabase;
  let balancingDb: TestDatabase;
  let meterIngest: SpawnedService;
  let balancing: SpawnedService | undefined;
  let messaging: MessagingClient;

  beforeAll(async () => {
    [ingestDb, balancingDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    messaging = await connectTestMessaging({ namespace, name: 'integrity-test' });
    meterIngest = await spawnService({
      entry: 'services/meter-ingest/src/main.ts',
      env: { DATABASE_URL: ingestDb.url, ...testNatsEnv(), NATS_NAMESPACE: namespace, METER_INGEST_OPERATOR_TOKEN: OPERATOR_TOKEN, METER_INGEST_MANIFEST_INTERVAL_MS: '200', LOG_LEVEL: 'warn' },
      readyTimeoutMs: 90_000,
    });
  });

  afterAll(async () => {
    await balancing?.kill();
    await meterIngest?.kill();
    await messaging?.close();
    await deleteNamespaceStreams(namespace);
    await Promise.all([ingestDb?.drop(), balancingDb?.drop()]);
  });

  it('settles the group-period on the true value after a re-send, substituting only the meter meter-ingest never received', async () => {
    const meters = [
      ['PV-1', 'production'],
      ['PV-2', 'production'],
      ['HH-1', 'consumption'],
      ['HH-SILENT', 'consumption'],
    ].map(([meterId, direction]) => ({ meterId, direction, mpo: mpo.address, dso, groupId: GROUP, supplier: null, connectionLimitW: '100000', validFrom: '2026-01-01T00:00:00Z' }));
    const registered = await fetch(`${meterIngest.url}/meters`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` }, body: JSON.stringify({ meters }) });
    expect(registered.status).toBe(201);

    const submit = async (values: [string, string][]) => {
      const body = await signJsonBody(mpo, 'readings-json', { mpo: mpo.address, intervals: values.map(([meterId, energyWh]) => ({ meterId, periodId: PERIOD, energyWh })) });
      const answer = (await (await fetch(`${meterIngest.url}/readings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { status: string; batchId: string };
      expect(answer.status).toBe('accepted');
      return answer.batchId;
    };
    await submit([['PV-1', '1200'], ['HH-1', '300']]);
    const lostBatch = await submit([['PV-2', '777']]);

    // Both measured events and the manifest (3 values) are in the stream; then one event is lost.
    const stream = messaging.streamName('METER');
    const find = async () => {
      const info = await messaging.jsm.streams.info(stream);
      const found: { seq: number; subject: string; data: { data: { batchId?: string; count?: number } } }[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const message = await messaging.jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
        if (message) found.push({ seq, subject: message.subject, data: message.json() });
      }
      return found;
    };
    const messages = await waitFor(async () => {
      const found = await find();
      return found.some((m) => m.subject.endsWith(`meter.manifest.updated.${GROUP}`) && m.data.data.count === 3) ? found : null;
    });
    const lost = messages.find((m) => m.subject.endsWith(`meter.intervals.measured.${GROUP}`) && m.data.data.batchId === lostBatch)!;
    expect(await messaging.jsm.streams.deleteMessage(stream, lost.seq)).toBe(true);

    balancing = await spawnService({
      entry: 'services/balancing/src/main.ts',
      env: { DATABASE_URL: balancingDb.url, ...testNatsEnv(), NATS_NAMESPACE: namespace, BALANCING_GATE_DEADLINE_MS: '1', BALANCING_SETTLE_INTERVAL_MS: '200', BALANCING_MERKLE_THREADS: '0', BALANCING_RESEND_RETRY_MS: '2000', LOG_LEVEL: 'warn' },
      readyTimeoutMs: 90_000,
    });
    const version = await waitFor(
      async () => {
        const rows = await query<{ version: number; trigger: string; feed_in_wh: string; feed_out_wh: string; meter_count: number; substituted_count: number; substitution_reason: string | null }>(
          balancingDb,
          `SELECT version, trigger, feed_in_wh, feed_out_wh, meter_count, substituted_count, substitution_reason FROM balancing.period_versions WHERE group_id = $1 AND period_id = $2 ORDER BY version`,
          [GROUP, PERIOD],
        );
        return rows.length > 0 ? rows : null;
      },
      { timeoutMs: 60_000 },
    );
    // One version, on the true values: PV-2's 777 Wh came by the re-send, not as a substitute.
    expect(version).toEqual([{ version: 1, trigger: 'deadline', feed_in_wh: '1977', feed_out_wh: '300', meter_count: 4, substituted_count: 1, substitution_reason: 'not-received-by-meter-ingest' }]);
    const values = await query<{ meter_id: string; energy_wh: string; substituted: boolean }>(
      balancingDb,
      `SELECT meter_id, energy_wh, substituted FROM balancing.meter_values WHERE group_id = $1 AND period_id = $2 AND replaced_seq IS NULL ORDER BY meter_id`,
      [GROUP, PERIOD],
    );
    expect(values).toEqual([
      { meter_id: 'HH-1', energy_wh: '300', substituted: false },
      { meter_id: 'HH-SILENT', energy_wh: '0', substituted: true },
      { meter_id: 'PV-1', energy_wh: '1200', substituted: false },
      { meter_id: 'PV-2', energy_wh: '777', substituted: false },
    ]);
    const [group] = await query<{ resends: number; awaiting_since: Date | null }>(balancingDb, `SELECT resends, awaiting_since FROM balancing.group_periods WHERE group_id = $1 AND period_id = $2`, [GROUP, PERIOD]);
    expect(group.resends).toBeGreaterThanOrEqual(1);
    expect(group.awaiting_since).toBeNull();
  });
});

async function query<T>(db: TestDatabase, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
