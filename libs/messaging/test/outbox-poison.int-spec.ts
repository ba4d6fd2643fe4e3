import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DiscardPolicy, StringCodec } from 'nats';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { defineEvent, type EventOf } from '@gridledger/events';
import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, openDataSource } from '@gridledger/persistence';
import { startTelemetry } from '@gridledger/telemetry';
import { createTestDatabase, deleteNamespaceStreams, randomNamespace, connectTestMessaging, type TestDatabase } from '@gridledger/testing';
import { answerOutboxReplay, enqueueOutbox, OutboxRelay, type MessagingClient } from '@gridledger/messaging';

jest.setTimeout(60_000);

const ItemMeasured = defineEvent({
  type: 'meter.item.measured',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'item',
  pastTense: 'measured',
  keyed: true,
  schema: z.object({ n: z.number().int(), blob: z.string() }),
});
type Item = EventOf<typeof ItemMeasured>;
const item = (run: string, n: number, blob = ''): Item => ItemMeasured.create({ idParts: [run, String(n)], occurredAt: '2026-03-29T01:00:00Z', data: { n, blob } });

describe('outbox relay around poison rows (real NATS and Postgres)', () => {
  let db: TestDatabase;
  const ns = randomNamespace();
  let producerDb: DataSource;
  let messaging: MessagingClient;
  let metrics: Server;
  const errors: string[] = [];
  const logger = { log: () => undefined, warn: () => undefined, error: (message: string) => errors.push(message) };
  const sc = StringCodec();

  const stored = async (stream: string, fromSeq: number, count: number) => {
    const found: number[] = [];
    for (let seq = fromSeq; seq < fromSeq + count; seq++) {
      const message = await messaging.jsm.streams.getMessage(messaging.streamName(stream), { seq });
      found.push((JSON.parse(sc.decode(message.data)) as Item).data.n);
    }
    return found;
  };
  const meterMessages = async () => (await messaging.jsm.streams.info(messaging.streamName('METER'))).state.messages;
  const parkedRows = (): Promise<{ event_id: string; park_reason: string }[]> =>
    producerDb.query(`SELECT event_id, park_reason FROM producer.outbox WHERE parked_at IS NOT NULL ORDER BY position`);
  const parkedMetric = async () => {
    const text = await (await fetch(`http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics`)).text();
    return Number(/gridledger_outbox_parked_rows\{schema="producer"[^}]*\} (\d+)/.exec(text)?.[1]);
  };

  beforeAll(async () => {
    const telemetry = startTelemetry({ serviceName: 'outbox-poison-test', exporter: 'memory' });
    metrics = createServer((request, response) => telemetry.handleMetricsRequest(request, response)).listen(0, '127.0.0.1');
    db = await createTestDatabase();
    producerDb = await openDataSource({ url: db.url, schema: 'producer', entities: MESSAGING_ENTITIES, migrations: MESSAGING_MIGRATIONS });
    messaging = await connectTestMessaging({ namespace: ns, name: 'outbox-poison-test' });
    await messaging.ensureStreams();
  });

  afterAll(async () => {
    metrics?.close();
    await messaging?.close();
    await producerDb?.destroy();
    await deleteNamespaceStreams(ns);
    await db?.drop();
  });

  it('parks a row larger than the server max_payload, alarms, and publishes every other row in order', async () => {
    const maxPayload = messaging.nc.info!.max_payload;
    const before = await meterMessages();
    await producerDb.transaction(async (em) => {
      await enqueueOutbox(em, ItemMeasured, item('big', 1), 'g1');
      await enqueueOutbox(em, ItemMeasured, item('big', 2), 'g1');
      await enqueueOutbox(em, ItemMeasured, item('big', 3, 'x'.repeat(maxPayload)), 'g1');
      await enqueueOutbox(em, ItemMeasured, item('big', 4), 'g1');
      await enqueueOutbox(em, ItemMeasured, item('big', 5), 'g1');
    });
    const relay = new OutboxRelay({ dataSource: producerDb, messaging, logger });
    expect(await relay.flush()).toBe(4);

    expect(await meterMessages()).toBe(before + 4);
    expect(await stored('METER', before + 1, 4)).toEqual([1, 2, 4, 5]);
    const parked = await parkedRows();
    expect(parked.map((row) => row.event_id)).toEqual([item('big', 3).id]);
    expect(parked[0].park_reason).toMatch(/^MAX_PAYLOAD_EXCEEDED/);
    expect(await parkedMetric()).toBe(1);
    expect(errors).toEqual([expect.stringMatching(new RegExp(`event ${item('big', 3).id}, subject meter\\.item\\.measured\\.g1: MAX_PAYLOAD_EXCEEDED`))]);
    // Parked rows are not "unpublished backlog" the relay keeps scanning: the next flush has nothing to do.
    expect(await relay.flush()).toBe(0);
  });

  it('keeps order behind a transient failure, parks the row after maxAttempts, and a replay with retryParked re-tries it', async () => {
    const Unroutable = defineEvent({ type: 'nostream.item.measured', schemaVersion: 1, domain: 'nostream', entity: 'item', pastTense: 'measured', keyed: true, schema: ItemMeasured.schema });
    const before = await meterMessages();
    const stray = Unroutable.create({ idParts: ['stray'], occurredAt: '2026-03-29T01:00:00Z', data: { n: 7, blob: '' } });
    await producerDb.transaction(async (em) => {
      await enqueueOutbox(em, ItemMeasured, item('slow', 6), 'g2');
      await enqueueOutbox(em, Unroutable, stray, 'g2'); // no stream captures it: no responders
      await enqueueOutbox(em, ItemMeasured, item('slow', 8), 'g2');
    });
    const relay = new OutboxRelay({ dataSource: producerDb, messaging, logger, maxAttempts: 2 });
    // Round one stops at the transient failure: 8 stays unpublished in the table.
    expect(await relay.flush()).toBe(1);
    const [{ waiting, attempts }] = await producerDb.query(`SELECT count(*)::int AS waiting, max(attempts)::int AS attempts FROM producer.outbox WHERE published_at IS NULL AND parked_at IS NULL`);
    expect({ waiting, attempts }).toEqual({ waiting: 2, attempts: 1 });
    // Round two: the second failure parks it and 8 goes on (its first send is deduped by Nats-Msg-Id).
    expect(await relay.flush()).toBe(1);
    expect(await meterMessages()).toBe(before + 2);
    expect(await stored('METER', before + 1, 2)).toEqual([6, 8]);
    expect((await parkedRows()).map((row) => row.park_reason).pop()).toMatch(/^2 failed attempts, last: /);
    expect(await parkedMetric()).toBe(2);

    // The cause fixed (a stream now captures the subject), a replay request re-tries the parked row.
    await messaging.jsm.streams.add({ name: messaging.streamName('NOSTREAM'), subjects: [messaging.subject('nostream.>')] });
    expect(await answerOutboxReplay(producerDb, messaging, { replayId: 'fix-1', subjectPrefix: 'nostream', retryParked: true })).toEqual({ replayed: 0, retriedParked: 1 });
    expect(await relay.flush()).toBe(1);
    expect(await stored('NOSTREAM', 1, 1)).toEqual([7]);
    expect(await parkedMetric()).toBe(1);
  });

  it('holds the rows in order while a stream is full (discard new), parks none however long, and sends them once there is room', async () => {
    const Tiny = defineEvent({ type: 'tiny.item.measured', schemaVersion: 1, domain: 'tiny', entity: 'item', pastTense: 'measured', keyed: true, schema: ItemMeasured.schema });
    const stream = messaging.streamName('TINY');
    await messaging.jsm.streams.add({ name: stream, subjects: [messaging.subject('tiny.>')], max_bytes: 2_000, discard: DiscardPolicy.New });
    const events = [1, 2, 3, 4, 5, 6].map((n) => Tiny.create({ idParts: ['tiny', String(n)], occurredAt: '2026-03-29T01:00:00Z', data: { n, blob: 'x'.repeat(300) } }));
    await producerDb.transaction(async (em) => {
      for (const event of events) await enqueueOutbox(em, Tiny, event, 'g3');
    });
    const parkedBefore = (await parkedRows()).length;
    const warnings: string[] = [];
    const relay = new OutboxRelay({ dataSource: producerDb, messaging, logger: { ...logger, warn: (message: string) => warnings.push(message) }, maxAttempts: 2 });
    let sent = 0;
    for (let round = 0; round < 5; round++) sent += await relay.flush();
    const full = (await messaging.jsm.streams.info(stream)).state.messages;
    expect(full).toBeGreaterThan(0);
    expect(full).toBeLessThan(6);
    expect(sent).toBe(full);
    // Five rounds against a full stream with maxAttempts 2: nothing parked, no attempt counted.
    expect((await parkedRows()).length).toBe(parkedBefore);
    const [{ waiting, attempts }] = await producerDb.query(`SELECT count(*)::int AS waiting, coalesce(max(attempts), 0)::int AS attempts FROM producer.outbox WHERE subject LIKE 'tiny.%' AND published_at IS NULL AND parked_at IS NULL`);
    expect({ waiting, attempts }).toEqual({ waiting: 6 - full, attempts: 0 });
    expect(warnings.at(-1)).toMatch(/outbox relay waits: .*subject tiny\.item\.measured\.g3: JetStream refused \(10077\)/);
    // The operator raises the limit: the rest goes out, in order.
    const info = await messaging.jsm.streams.info(stream);
    await messaging.jsm.streams.update(stream, { ...info.config, max_bytes: 1_000_000 });
    expect(await relay.flush()).toBe(6 - full);
    expect(await stored('TINY', 1, 6)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
