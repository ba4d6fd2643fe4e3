/**
 * Throughput of batch events through the backbone, against the real NATS and Postgres:
 * direct publish, outbox enqueue + relay, and a batch consumer (inbox + one effect row per
 * event, one transaction per fetched batch). Not a test: prints figures, ends with one JSON line.
 *
 *   node -r @swc-node/register libs/messaging/bench/throughput.bench.ts [events] [intervalsPerEvent]
 */
import { z } from 'zod';
import { defineEvent } from '@gridledger/events';
import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, openDataSource } from '@gridledger/persistence';
import { createTestDatabase, deleteNamespaceStreams, randomNamespace, TEST_NATS_URL, waitFor } from '@gridledger/testing';
import { connectMessaging, enqueueOutboxMany, OutboxRelay, startConsumer, STREAMS } from '@gridledger/messaging';

const EVENTS = Number(process.argv[2] ?? 2000);
const INTERVALS = Number(process.argv[3] ?? 100);

const IntervalsBenchmarked = defineEvent({
  type: 'meter.bench.measured',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'bench',
  pastTense: 'measured',
  keyed: true,
  schema: z.object({
    batchId: z.string(),
    intervals: z.array(z.object({ meterId: z.string(), periodId: z.string(), energyWh: z.string() })),
  }),
});

const event = (run: string, i: number) =>
  IntervalsBenchmarked.create({
    idParts: [run, String(i)],
    occurredAt: '2026-03-29T01:00:00Z',
    data: {
      batchId: `${run}-${i}`,
      intervals: Array.from({ length: INTERVALS }, (_, m) => ({ meterId: `DE000${i}${m}`.padEnd(33, '0'), periodId: '2026-03-29T01:00:00Z', energyWh: String(1000 + m) })),
    },
  });

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const ns = randomNamespace();
  const messaging = await connectMessaging({ url: TEST_NATS_URL, namespace: ns, name: 'bench' });
  await messaging.ensureStreams([STREAMS.METER, STREAMS.DEADLETTER]);
  const open = (schema: string) => openDataSource({ url: db.url, schema, entities: MESSAGING_ENTITIES, migrations: MESSAGING_MIGRATIONS });
  const producer = await open('producer');
  const consumer = await open('consumer');
  await consumer.query(`CREATE TABLE consumer.effects (event_id text PRIMARY KEY, intervals int NOT NULL)`);
  try {
    const sample = JSON.stringify(event('size', 0)).length;
    console.log(`${EVENTS} events x ${INTERVALS} intervals (${sample} bytes each)`);

    // 1. Direct publish, acks awaited in windows of 256.
    const direct = Array.from({ length: EVENTS }, (_, i) => event('direct', i));
    let started = performance.now();
    for (let i = 0; i < direct.length; i += 256) {
      await Promise.all(direct.slice(i, i + 256).map((e) => messaging.publishEvent(IntervalsBenchmarked, e, 'g1')));
    }
    const publishMs = performance.now() - started;
    console.log(`publish: ${rate(EVENTS, publishMs)} events/s, ${rate(EVENTS * INTERVALS, publishMs)} intervals/s`);

    // 2. Outbox: enqueue in transactions of 100 events, then the relay drains it.
    const outboxed = Array.from({ length: EVENTS }, (_, i) => event('outbox', i));
    started = performance.now();
    for (let i = 0; i < outboxed.length; i += 100) {
      await producer.transaction((em) => enqueueOutboxMany(em, outboxed.slice(i, i + 100).map((envelope) => ({ definition: IntervalsBenchmarked, envelope, key: 'g1' }))));
    }
    const enqueueMs = performance.now() - started;
    started = performance.now();
    const relayed = await new OutboxRelay({ dataSource: producer, messaging }).flush();
    const relayMs = performance.now() - started;
    console.log(`outbox enqueue: ${rate(EVENTS, enqueueMs)} events/s; relay: ${rate(relayed, relayMs)} events/s`);

    // 3. Consume both sets (2 x EVENTS) with a batch handler: inbox + one row per event.
    started = performance.now();
    const runner = await startConsumer(messaging, consumer, {
      stream: STREAMS.METER.name,
      durable: 'bench',
      events: [IntervalsBenchmarked],
      batchSize: 200,
      handleBatch: async (events, em) => {
        await em.query(`INSERT INTO consumer.effects SELECT unnest($1::text[]), unnest($2::int[])`, [events.map((e) => e.envelope.id), events.map((e) => e.envelope.data.intervals.length)]);
      },
    });
    await waitFor(async () => (await consumer.query(`SELECT count(*)::int AS n FROM consumer.effects`))[0].n === EVENTS * 2, { timeoutMs: 600_000, intervalMs: 100 });
    const consumeMs = performance.now() - started;
    await runner.stop();
    console.log(`consume: ${rate(EVENTS * 2, consumeMs)} events/s, ${rate(EVENTS * 2 * INTERVALS, consumeMs)} intervals/s`);

    console.log(
      JSON.stringify({
        bench: 'messaging',
        events: EVENTS,
        intervalsPerEvent: INTERVALS,
        eventBytes: sample,
        publishEventsPerSec: rate(EVENTS, publishMs),
        outboxEnqueueEventsPerSec: rate(EVENTS, enqueueMs),
        outboxRelayEventsPerSec: rate(relayed, relayMs),
        consumeEventsPerSec: rate(EVENTS * 2, consumeMs),
        consumeIntervalsPerSec: rate(EVENTS * 2 * INTERVALS, consumeMs),
      }),
    );
  } finally {
    await messaging.close();
    await producer.destroy();
    await consumer.destroy();
    await deleteNamespaceStreams(ns);
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
