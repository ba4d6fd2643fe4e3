import { StringCodec } from 'nats';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { defineEvent, MessageDeadLettered, type EventOf } from '@gridledger/events';
import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, openDataSource } from '@gridledger/persistence';
import { activeTraceIds, startTelemetry, withSpan } from '@gridledger/telemetry';
import { createTestDatabase, deleteNamespaceStreams, randomNamespace, connectTestMessaging, waitFor, type TestDatabase } from '@gridledger/testing';
import { readDeadLetters, redriveDeadLetters, enqueueOutbox, enqueueOutboxMany, OutboxRelay, outboxReplaySubject, answerOutboxReplay, PoisonEventError, startConsumer, STREAMS, type ConsumerRunner, type MessagingClient } from '@gridledger/messaging';

jest.setTimeout(60_000);

const BatchMeasured = defineEvent({
  type: 'meter.batch.measured',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'batch',
  pastTense: 'measured',
  keyed: true,
  schema: z.object({ n: z.number().int(), energyWh: z.string() }),
});
type Batch = EventOf<typeof BatchMeasured>;
const batch = (run: string, n: number): Batch => BatchMeasured.create({ idParts: [run, String(n)], occurredAt: '2026-03-29T01:00:00Z', data: { n, energyWh: String(n * 1000) } });

describe('transactional outbox and batch consumers (real NATS and Postgres)', () => {
  let db: TestDatabase;
  const ns = randomNamespace();
  let producerDb: DataSource;
  let consumerDb: DataSource;
  let messaging: MessagingClient;
  const sc = StringCodec();

  const streamMessages = async () => (await messaging.jsm.streams.info(messaging.streamName('METER'))).state.messages;
  const storedNs = async (fromSeq: number, count: number) => {
    const found: number[] = [];
    for (let seq = fromSeq; seq < fromSeq + count; seq++) {
      const message = await messaging.jsm.streams.getMessage(messaging.streamName('METER'), { seq });
      found.push((JSON.parse(sc.decode(message.data)) as Batch).data.n);
    }
    return found;
  };

  beforeAll(async () => {
    startTelemetry({ serviceName: 'outbox-test', exporter: 'memory' });
    db = await createTestDatabase();
    const open = (schema: string, extra: string[] = []) =>
      openDataSource({ url: db.url, schema, entities: MESSAGING_ENTITIES, migrations: MESSAGING_MIGRATIONS }).then(async (ds) => {
        for (const sql of extra) await ds.query(sql);
        return ds;
      });
    producerDb = await open('producer');
    consumerDb = await open('consumer', [`CREATE TABLE consumer.applied (event_id text NOT NULL, n int NOT NULL)`]);
    messaging = await connectTestMessaging({ namespace: ns, name: 'outbox-test' });
    await messaging.ensureStreams();
    // Creating twice is a no-op: streams are declared, not accumulated.
    await messaging.ensureStreams();
  });

  afterAll(async () => {
    await messaging?.close();
    await producerDb?.destroy();
    await consumerDb?.destroy();
    await deleteNamespaceStreams(ns);
    await db?.drop();
  });

  it('publishes committed rows in order after a restart, never rolled-back ones, and re-publishes harmlessly', async () => {
    const before = await streamMessages();
    // Nothing relays yet: the service "crashed" after committing.
    await producerDb.transaction((em) => enqueueOutboxMany(em, [1, 2, 3].map((n) => ({ definition: BatchMeasured, envelope: batch('order', n), key: 'g1' }))));
    await producerDb
      .transaction(async (em) => {
        await enqueueOutbox(em, BatchMeasured, batch('order', 99), 'g1');
        throw new Error('business rule failed: roll back');
      })
      .catch(() => undefined);
    await producerDb.transaction((em) => enqueueOutbox(em, BatchMeasured, batch('order', 4), 'g1'));
    expect(await streamMessages()).toBe(before);

    const relay = new OutboxRelay({ dataSource: producerDb, messaging, pollIntervalMs: 60_000 });
    await relay.start();
    await waitFor(async () => (await streamMessages()) === before + 4, { what: 'four relayed messages' });
    await relay.stop();
    expect(await storedNs(before + 1, 4)).toEqual([1, 2, 3, 4]);
    const [{ pending }] = await producerDb.query(`SELECT count(*)::int AS pending FROM producer.outbox WHERE published_at IS NULL`);
    expect(pending).toBe(0);

    // Crash between publish and mark: the rows go out again and JetStream drops them.
    await producerDb.query(`UPDATE producer.outbox SET published_at = NULL`);
    const again = new OutboxRelay({ dataSource: producerDb, messaging });
    expect(await again.flush()).toBe(4);
    expect(await streamMessages()).toBe(before + 4);
  });

  it('wakes on the commit notification instead of waiting for the next poll', async () => {
    const relay = new OutboxRelay({ dataSource: producerDb, messaging, pollIntervalMs: 60_000 });
    await relay.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 200)); // the start-up poll is over
      const before = await streamMessages();
      const committedAt = Date.now();
      await producerDb.transaction((em) => enqueueOutbox(em, BatchMeasured, batch('notify', 1), 'g6'));
      await waitFor(async () => (await streamMessages()) === before + 1, { timeoutMs: 5_000, what: 'published after NOTIFY' });
      expect(Date.now() - committedAt).toBeLessThan(2_000);
    } finally {
      await relay.stop();
    }
  });

  it('lets only one relay publish at a time (advisory lock), each row once, and flush waits for a busy one', async () => {
    await producerDb.transaction((em) => enqueueOutboxMany(em, Array.from({ length: 200 }, (_, i) => ({ definition: BatchMeasured, envelope: batch('race', i), key: 'g2' }))));
    const before = await streamMessages();
    const relays = [new OutboxRelay({ dataSource: producerDb, messaging, batchSize: 50 }), new OutboxRelay({ dataSource: producerDb, messaging, batchSize: 50 })];
    const counts = await Promise.all(relays.map((relay) => relay.flush()));
    // Both returned only when everything was out; together they published each row once.
    expect(await streamMessages()).toBe(before + 200);
    expect(counts[0] + counts[1]).toBe(200);
  });

  it('replays published rows on request, past the duplicate window, once per replay id', async () => {
    await producerDb.transaction((em) => enqueueOutboxMany(em, [1, 2, 3].map((n) => ({ definition: BatchMeasured, envelope: batch('replay', n), key: 'g4' }))));
    await new OutboxRelay({ dataSource: producerDb, messaging }).flush();
    const server = messaging.serve(outboxReplaySubject('producer'), (body) => answerOutboxReplay(producerDb, messaging, body));
    try {
      const before = await streamMessages();
      const request = { replayId: 'reconcile-1', subjectPrefix: BatchMeasured.subject('g4') };
      expect(await messaging.request(outboxReplaySubject('producer'), request)).toEqual({ replayed: 3 });
      expect(await streamMessages()).toBe(before + 3);
      expect(await storedNs(before + 1, 3)).toEqual([1, 2, 3]);
      // The same replay asked twice (a retry) is dropped by JetStream.
      expect(await messaging.request(outboxReplaySubject('producer'), request)).toEqual({ replayed: 3 });
      expect(await streamMessages()).toBe(before + 3);
      // A prefix matches whole subject tokens only: g4 is not g40.
      expect(await messaging.request(outboxReplaySubject('producer'), { replayId: 'r2', subjectPrefix: 'meter.batch.measured.g' })).toEqual({ replayed: 0 });
      expect(await messaging.request(outboxReplaySubject('producer'), { subjectPrefix: 'x' })).toEqual({ error: 'replayId: Required' });
    } finally {
      server.unsubscribe();
    }
  });

  it('applies batches in one transaction each, dedupes repeats, and isolates a poison event', async () => {
    const calls: number[] = [];
    const deadLetters: string[] = [];
    const sub = messaging.nc.subscribe(messaging.subject(MessageDeadLettered.subjectFilter), {
      callback: (_e, msg) => deadLetters.push(MessageDeadLettered.parse(JSON.parse(sc.decode(msg.data))).data.reason),
    });
    for (let i = 0; i < 300; i++) await messaging.publishEvent(BatchMeasured, batch('batch', i), 'g3');
    // The same event again under another Nats-Msg-Id (e.g. published after the duplicate window).
    await messaging.js.publish(messaging.subject(BatchMeasured.subject('g3')), sc.encode(JSON.stringify(batch('batch', 7))), { msgID: 'late-copy-of-7' });

    const runner: ConsumerRunner<readonly [typeof BatchMeasured]> = await startConsumer(messaging, consumerDb, {
      stream: STREAMS.METER.name,
      durable: 'batch-consumer',
      events: [BatchMeasured] as const,
      filterSubjects: [BatchMeasured.subject('g3')],
      batchSize: 100,
      redelivery: { maxDeliver: 2, backoffMs: [50] },
      handleBatch: async (events, em) => {
        calls.push(events.length);
        if (events.some((event) => event.envelope.data.n === 150)) throw new PoisonEventError('n=150 contradicts the registry');
        await em.query(`INSERT INTO consumer.applied SELECT unnest($1::text[]), unnest($2::int[])`, [events.map((e) => e.envelope.id), events.map((e) => e.envelope.data.n)]);
      },
    });
    try {
      await waitFor(async () => {
        const [{ count }] = await consumerDb.query(`SELECT count(*)::int AS count FROM consumer.applied`);
        return count === 299;
      }, { what: '299 applied events', timeoutMs: 20_000 });
      await waitFor(() => deadLetters.some((reason) => reason.includes('n=150')), { what: 'poison dead letter' });
    } finally {
      await runner.stop();
      sub.unsubscribe();
    }
    const [{ distinct, total }] = await consumerDb.query(`SELECT count(DISTINCT event_id)::int AS distinct, count(*)::int AS total FROM consumer.applied`);
    expect({ distinct, total }).toEqual({ distinct: 299, total: 299 });
    expect(Math.max(...calls)).toBeGreaterThan(1);
    expect(deadLetters.filter((reason) => reason.includes('n=150'))).toEqual(['rejected: n=150 contradicts the registry']);
    const [{ inbox }] = await consumerDb.query(`SELECT count(*)::int AS inbox FROM consumer.inbox WHERE consumer = 'batch-consumer'`);
    expect(inbox).toBe(299);
  });

  it('runs a batch handler in the trace of its first event', async () => {
    const traceId = await withSpan('upload', {}, async () => {
      await producerDb.transaction((em) => enqueueOutbox(em, BatchMeasured, batch('traced', 1), 'g5'));
      return activeTraceIds()!.traceId;
    });
    await new OutboxRelay({ dataSource: producerDb, messaging }).flush();
    const seen: (string | undefined)[] = [];
    const runner = await startConsumer(messaging, consumerDb, {
      stream: STREAMS.METER.name,
      durable: 'traced-batch',
      events: [BatchMeasured] as const,
      filterSubjects: [BatchMeasured.subject('g5')],
      handleBatch: async (events) => {
        seen.push(activeTraceIds()?.traceId, ...events.map((event) => activeTraceIds(event.traceContext)?.traceId));
      },
    });
    try {
      await waitFor(() => seen.length === 2, { what: 'the batch handler' });
    } finally {
      await runner.stop();
    }
    expect(seen).toEqual([traceId, traceId]);
  });

  it('pauses through a database outage instead of dead-lettering good events', async () => {
    const outageDb = await createTestDatabase();
    const victim = await openDataSource({ url: outageDb.url, schema: 'victim', entities: MESSAGING_ENTITIES, migrations: MESSAGING_MIGRATIONS });
    await victim.query(`CREATE TABLE victim.applied (event_id text PRIMARY KEY)`);
    const admin = new Client({ connectionString: outageDb.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    const deadLetters: string[] = [];
    const sub = messaging.nc.subscribe(messaging.subject(MessageDeadLettered.subjectFilter), {
      callback: (_e, msg) => deadLetters.push(MessageDeadLettered.parse(JSON.parse(sc.decode(msg.data))).data.subject),
    });
    const runner = await startConsumer(messaging, victim, {
      stream: STREAMS.METER.name,
      durable: 'outage',
      events: [BatchMeasured] as const,
      filterSubjects: [BatchMeasured.subject('g7')],
      redelivery: { maxDeliver: 2, backoffMs: [100] },
      handleBatch: async (events, em) => {
        await em.query(`INSERT INTO victim.applied SELECT unnest($1::text[])`, [events.map((e) => e.envelope.id)]);
      },
    });
    try {
      await admin.query(`ALTER DATABASE "${outageDb.name}" ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [outageDb.name]);
      for (const n of [1, 2, 3]) await messaging.publishEvent(BatchMeasured, batch('outage', n), 'g7');
      // Long enough for many 100 ms retries: without the pause, maxDeliver 2 would dead-letter all three.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await admin.query(`ALTER DATABASE "${outageDb.name}" ALLOW_CONNECTIONS true`);
      await waitFor(async () => (await victim.query(`SELECT count(*)::int AS n FROM victim.applied`))[0].n === 3, { timeoutMs: 20_000, what: 'all three applied after the outage' });
      expect(deadLetters.filter((subject) => subject === BatchMeasured.subject('g7'))).toEqual([]);
    } finally {
      await admin.query(`ALTER DATABASE "${outageDb.name}" ALLOW_CONNECTIONS true`);
      await runner.stop();
      sub.unsubscribe();
      await admin.end();
      await victim.destroy();
      await outageDb.drop();
    }
  });

  it('re-drives dead letters once the cause is fixed, and a repeated re-drive is dropped', async () => {
    let broken = true;
    await consumerDb.query(`CREATE TABLE consumer.fixed (event_id text PRIMARY KEY)`);
    const runner = await startConsumer(messaging, consumerDb, {
      stream: STREAMS.METER.name,
      durable: 'fixable',
      events: [BatchMeasured] as const,
      filterSubjects: [BatchMeasured.subject('g8')],
      handle: async (event, em) => {
        if (broken) throw new PoisonEventError('registry does not know this meter yet');
        await em.query(`INSERT INTO consumer.fixed VALUES ($1)`, [event.envelope.id]);
      },
    });
    try {
      await messaging.publishEvent(BatchMeasured, batch('fixable', 1), 'g8');
      const [letter] = await waitFor(async () => {
        const found = await readDeadLetters(messaging, { stream: 'METER', consumer: 'fixable' });
        return found.length === 1 ? found : undefined;
      }, { what: 'the dead letter' });
      expect(letter).toMatchObject({ stream: 'METER', consumer: 'fixable', subject: BatchMeasured.subject('g8'), reason: 'rejected: registry does not know this meter yet' });

      broken = false;
      expect(await redriveDeadLetters(messaging, { stream: 'METER', consumer: 'fixable', redriveId: 'fix-1' })).toBe(1);
      await waitFor(async () => (await consumerDb.query(`SELECT count(*)::int AS n FROM consumer.fixed`))[0].n === 1, { what: 'the re-driven event applied' });
      const before = await streamMessages();
      await redriveDeadLetters(messaging, { stream: 'METER', consumer: 'fixable', redriveId: 'fix-1' });
      expect(await streamMessages()).toBe(before);
    } finally {
      await runner.stop();
    }
  });

  it('shares one durable consumer between replicas: every event applied once in total', async () => {
    await consumerDb.query(`CREATE TABLE consumer.shared (event_id text NOT NULL, replica int NOT NULL)`);
    const replica = (id: number) =>
      startConsumer(messaging, consumerDb, {
        stream: STREAMS.METER.name,
        durable: 'shared',
        events: [BatchMeasured] as const,
        filterSubjects: [BatchMeasured.subject('g9')],
        batchSize: 10,
        handleBatch: async (events, em) => {
          await em.query(`INSERT INTO consumer.shared SELECT unnest($1::text[]), $2`, [events.map((e) => e.envelope.id), id]);
          await new Promise((resolve) => setTimeout(resolve, 5)); // some work, so both replicas pull
        },
      });
    const replicas = [await replica(1), await replica(2)];
    try {
      for (let i = 0; i < 200; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => messaging.publishEvent(BatchMeasured, batch('shared', i + j), 'g9')));
      }
      await waitFor(async () => (await consumerDb.query(`SELECT count(*)::int AS n FROM consumer.shared`))[0].n >= 200, { timeoutMs: 20_000, what: '200 applied' });
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
    const rows: { replica: number; n: number; distinct: number }[] = await consumerDb.query(
      `SELECT replica, count(*)::int AS n, count(DISTINCT event_id)::int AS distinct FROM consumer.shared GROUP BY replica ORDER BY replica`,
    );
    const [{ total, distinct }] = await consumerDb.query(`SELECT count(*)::int AS total, count(DISTINCT event_id)::int AS distinct FROM consumer.shared`);
    expect({ total, distinct }).toEqual({ total: 200, distinct: 200 });
    expect(rows.map((row) => row.replica)).toEqual([1, 2]);
  });
});
