import { connectMessaging, type MessagingClient } from '@gridledger/messaging';
import { createTestDatabase, deleteNamespaceStreams, randomNamespace, spawnService, TEST_NATS_URL, waitFor, type TestDatabase } from '@gridledger/testing';
import { Client } from 'pg';
import { probe, ProbeRecorded } from './fixtures/probe.events';

jest.setTimeout(90_000);

const ENTRY = 'libs/service-kit/test/fixtures/probe-consumer-service.ts';

describe('a consumer process killed -9 after its commit and before its ack', () => {
  let db: TestDatabase;
  let sql: Client;
  const ns = randomNamespace();
  let messaging: MessagingClient;

  const effects = async (label: string) => (await sql.query(`SELECT "delivery" FROM probe_consumer.effects WHERE "label" = $1`, [label])).rows as { delivery: number }[];

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    messaging = await connectMessaging({ url: TEST_NATS_URL, namespace: ns, name: 'crash-test-publisher' });
    await messaging.ensureStreams();
  });

  afterAll(async () => {
    await messaging?.close();
    await sql?.end();
    await deleteNamespaceStreams(ns);
    await db?.drop();
  });

  it('gets the message again after restart and applies its effect exactly once', async () => {
    const env = { DATABASE_URL: db.url, NATS_NAMESPACE: ns, HTTP_HOST: '127.0.0.1', ACK_WAIT_MS: '1500', LOG_LEVEL: 'warn' };
    const first = await spawnService({ entry: ENTRY, env: { ...env, CRASH_ON_LABEL: 'crash-me' } });
    await messaging.publishEvent(ProbeRecorded, probe('before'), 'g1');
    await messaging.publishEvent(ProbeRecorded, probe('crash-me'), 'g1');
    expect(await first.exited).toBeNull(); // killed by SIGKILL, no shutdown hooks ran
    expect(await effects('crash-me')).toEqual([{ delivery: 1 }]); // committed before the crash
    const afterCrash = await messaging.jsm.consumers.info(messaging.streamName('METER'), 'probe-crash');
    expect(afterCrash.num_ack_pending).toBe(1); // 'before' was acked, 'crash-me' never was

    const second = await spawnService({ entry: ENTRY, env });
    try {
      await messaging.publishEvent(ProbeRecorded, probe('after'), 'g1');
      await waitFor(async () => (await effects('after')).length === 1, { what: 'the later event applied' });
      await waitFor(
        async () => {
          const info = await messaging.jsm.consumers.info(messaging.streamName('METER'), 'probe-crash');
          return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
        },
        { timeoutMs: 20_000, what: 'every message acked, so crash-me was delivered again' },
      );
      expect(await effects('crash-me')).toEqual([{ delivery: 1 }]);
      expect(await effects('before')).toHaveLength(1);
      const inbox = await sql.query(`SELECT count(*)::int AS n FROM probe_consumer.inbox WHERE consumer = 'probe-crash'`);
      expect(inbox.rows[0].n).toBe(3);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
