import type { MessagingClient } from '@gridledger/messaging';
import { activeTraceIds, startTelemetry, withSpan } from '@gridledger/telemetry';
import { createTestDatabase, deleteNamespaceStreams, randomNamespace, spawnService, startTraceCollector, connectTestMessaging, waitFor, type TestDatabase } from '@gridledger/testing';
import { Client } from 'pg';
import { probe, ProbeRecorded } from './fixtures/probe.events';

jest.setTimeout(90_000);

const ENTRY = 'libs/service-kit/test/fixtures/probe-consumer-service.ts';

describe('a consumer service in its own process', () => {
  let db: TestDatabase;
  let sql: Client;
  const ns = randomNamespace();
  let messaging: MessagingClient;

  const effects = async (label: string) => (await sql.query(`SELECT "delivery" FROM probe_consumer.effects WHERE "label" = $1`, [label])).rows as { delivery: number }[];

  beforeAll(async () => {
    startTelemetry({ serviceName: 'crash-test-publisher', exporter: 'none' });
    db = await createTestDatabase();
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    messaging = await connectTestMessaging({ namespace: ns, name: 'crash-test-publisher' });
    await messaging.ensureStreams();
  });

  afterAll(async () => {
    await messaging?.close();
    await sql?.end();
    await deleteNamespaceStreams(ns);
    await db?.drop();
  });

  it('killed -9 after its commit and before its ack, gets the message again after restart and applies it once', async () => {
    const env = { DATABASE_URL: db.url, NATS_NAMESPACE: ns, HTTP_HOST: '127.0.0.1', ACK_WAIT_MS: '1500', LOG_LEVEL: 'warn' };
    const first = await spawnService({ entry: ENTRY, env: { ...env, CRASH_ON_LABEL: 'crash-me' } });
    await messaging.publishEvent(ProbeRecorded, probe('before'), 'g1');
    await messaging.publishEvent(ProbeRecorded, probe('crash-me'), 'g1');
    expect(await first.exited).toBeNull(); // killed by SIGKILL, no shutdown hooks ran
    expect(await effects('crash-me')).toEqual([{ delivery: 1 }]); // committed before the crash
    const afterCrash = await messaging.jsm.consumers.info(messaging.streamName('METER'), 'probe-crash');
    // 'crash-me' was never acked; 'before' was, unless its ack still sat in the client's write
    // buffer when SIGKILL came (a loaded machine): then it comes back too, and the inbox absorbs it.
    expect(afterCrash.num_ack_pending).toBeGreaterThanOrEqual(1);
    expect(afterCrash.num_ack_pending).toBeLessThanOrEqual(2);

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

  it('exports its spans over OTLP, continuing the publisher’s trace in another process', async () => {
    const collector = await startTraceCollector();
    const service = await spawnService({
      entry: ENTRY,
      env: { DATABASE_URL: db.url, NATS_NAMESPACE: ns, HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '100' },
    });
    try {
      const traceId = await withSpan('mpo upload', {}, async () => {
        await messaging.publishEvent(ProbeRecorded, probe('traced-across'), 'g1');
        return activeTraceIds()!.traceId;
      });
      const spans = await waitFor(() => {
        const found = collector.trace(traceId);
        return found.some((span) => span.name === 'process meter.probe.recorded.g1') ? found : undefined;
      }, { timeoutMs: 15_000, what: 'the consumer span at the collector' });
      expect(spans).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'probe-consumer', name: 'process meter.probe.recorded.g1', parentSpanId: expect.any(String) })]));
    } finally {
      expect(await service.stop()).toBe(0);
      await collector.close();
    }
  });
});
