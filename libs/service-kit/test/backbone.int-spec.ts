import { Controller, Module } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { StringCodec, type NatsConnection, type Subscription } from 'nats';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { MessageDeadLettered } from '@gridledger/events';
import { probe, ProbeRecorded, type Probe } from './fixtures/probe.events';
import { enqueueOutbox, natsRequest, outboxReplaySubject, PoisonEventError, streamConsumer, type ReceivedEvent, type RequestContext, type StreamContext } from '@gridledger/messaging';
import { activeTraceIds, withSpan } from '@gridledger/telemetry';
import { createTestDatabase, deleteNamespaceStreams, randomNamespace, testNatsEnv, waitFor, type TestDatabase } from '@gridledger/testing';
import { bootstrapService, commonConfigSchema, type RunningService } from '@gridledger/service-kit';

/** Test-controlled behaviour of the consumer app. */
const behaviour = {
  loseAckOnce: new Set<string>(),
  alwaysFail: new Set<string>(),
  failOnce: new Set<string>(),
  poison: new Set<string>(),
  handlerCalls: new Map<string, number>(),
  deliveriesSeen: new Map<string, Set<number>>(),
};
const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

class CreateEffects1764000100000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // No unique key on purpose: a double effect would show as two rows.
    await queryRunner.query(`CREATE TABLE "effects" ("event_id" text NOT NULL, "label" text NOT NULL, "trace_id" text, "delivery" int NOT NULL)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "effects"`);
  }
}

/** A Nest controller over real JetStream: a stream handler and two request handlers. */
@Controller()
class ProbeController {
  @EventPattern(ProbeRecorded.subjectFilter, streamConsumer({ consumer: 'probe', events: [ProbeRecorded], batchSize: 50, redelivery: { maxDeliver: 3, backoffMs: [100, 200] } }))
  async record(@Payload() event: ReceivedEvent<Probe>, @Ctx() ctx: StreamContext): Promise<void> {
    const { label } = event.envelope.data;
    bump(behaviour.handlerCalls, label);
    behaviour.deliveriesSeen.set(label, (behaviour.deliveriesSeen.get(label) ?? new Set()).add(event.deliveryCount));
    if (behaviour.poison.has(label)) throw new PoisonEventError(`label ${label} is not allowed`);
    if (behaviour.alwaysFail.has(label)) throw new Error(`database hiccup for ${label}`);
    if (behaviour.failOnce.delete(label)) throw new Error(`passing hiccup for ${label}`);
    await ctx.em.query(`INSERT INTO "effects" VALUES ($1, $2, $3, $4)`, [event.envelope.id, label, activeTraceIds()?.traceId ?? null, event.deliveryCount]);
    if (behaviour.loseAckOnce.delete(label)) {
      ctx.afterCommit(() => {
        throw new Error('connection lost before ack');
      });
    }
  }

  @MessagePattern('probe.echo', natsRequest())
  echo(@Payload() body: { say?: string }, @Ctx() ctx: RequestContext): { heard: string | undefined; subject: string } {
    if (body.say === 'boom') throw new Error('cannot say boom');
    return { heard: body.say, subject: ctx.subject };
  }
}

@Module({ controllers: [ProbeController] })
class ConsumerAppModule {}

@Module({})
class ProducerAppModule {}

jest.setTimeout(60_000);

describe('backbone: outbox → JetStream → Nest @EventPattern handler, across two Nest apps', () => {
  let db: TestDatabase;
  const ns = randomNamespace();
  let producer: RunningService<unknown>;
  let consumer: RunningService<unknown>;
  const deadLetters: unknown[] = [];
  let deadLetterSub: Subscription;
  const sc = StringCodec();

  const env = () => ({ ...testNatsEnv(), DATABASE_URL: db.url, NATS_NAMESPACE: ns, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', OTEL_TRACES_EXPORTER: 'memory', LOG_LEVEL: 'warn' });
  const effects = async (label: string) =>
    (await consumer.dataSource.query(`SELECT "event_id", "trace_id", "delivery" FROM "consumer_svc"."effects" WHERE "label" = $1`, [label])) as { event_id: string; trace_id: string | null; delivery: number }[];
  const produce = (event: Probe) => producer.dataSource.transaction((em) => enqueueOutbox(em, ProbeRecorded, event, 'g1'));

  beforeAll(async () => {
    db = await createTestDatabase();
    producer = await bootstrapService({ name: 'producer', schema: 'producer_svc', configSchema: commonConfigSchema(0), appModule: ProducerAppModule, env: env() });
    consumer = await bootstrapService({
      name: 'consumer',
      schema: 'consumer_svc',
      configSchema: commonConfigSchema(0),
      appModule: ConsumerAppModule,
      migrations: [CreateEffects1764000100000],
      outboxRelay: false,
      env: env(),
    });
    const nc: NatsConnection = consumer.messaging.nc;
    deadLetterSub = nc.subscribe(consumer.messaging.subject(`${MessageDeadLettered.subjectFilter}`), {
      callback: (_error, msg) => deadLetters.push(JSON.parse(sc.decode(msg.data))),
    });
  });

  afterAll(async () => {
    deadLetterSub?.unsubscribe();
    await consumer?.close();
    await producer?.close();
    await deleteNamespaceStreams(ns);
    await db?.drop();
  });

  it('carries the trace from the producing transaction to the consumer handler', async () => {
    const traceId = await withSpan('test produce', {}, async () => {
      await produce(probe('traced'));
      return activeTraceIds()!.traceId;
    });
    const [row] = await waitFor(async () => ((await effects('traced')).length ? effects('traced') : undefined), { what: 'traced effect' });
    expect(row.trace_id).toBe(traceId);
    await producer.telemetry.flush();
    const spans = producer.telemetry.memoryExporter!.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    expect(spans.map((span) => span.name)).toEqual(expect.arrayContaining(['test produce', 'publish meter.probe.recorded.g1', 'process meter.probe.recorded.g1']));
  });

  it('keeps one message when the same event is published twice', async () => {
    const event = probe('twice');
    const first = await producer.messaging.publishEvent(ProbeRecorded, event, 'g1');
    const second = await producer.messaging.publishEvent(ProbeRecorded, event, 'g1');
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.seq).toBe(first.seq);
    const stored = await producer.messaging.jsm.streams.getMessage(producer.messaging.streamName('METER'), { seq: first.seq });
    // The publisher is part of the id JetStream deduplicates on (another's copy never shadows it).
    expect(stored.header.get('Nats-Msg-Id')).toBe(`producer:${event.id}`);
    await waitFor(async () => (await effects('twice')).length === 1, { what: 'one effect' });
  });

  it('acks only after commit: an ack lost after commit is redelivered, found in the inbox and acked, the effect applied once', async () => {
    behaviour.loseAckOnce.add('ack-lost');
    const { seq } = await producer.messaging.publishEvent(ProbeRecorded, probe('ack-lost'), 'g1');
    const stream = consumer.messaging.streamName('METER');
    // The first delivery committed but never acked; only the redelivery's ack moves the floor past it.
    await waitFor(async () => (await consumer.messaging.jsm.consumers.info(stream, 'consumer-probe')).ack_floor.stream_seq >= seq, { what: 'redelivery acked', timeoutMs: 15_000 });
    expect(behaviour.handlerCalls.get('ack-lost')).toBe(1);
    expect(await effects('ack-lost')).toEqual([expect.objectContaining({ delivery: 1 })]);
    const inbox = await consumer.dataSource.query(`SELECT count(*)::int AS n FROM "consumer_svc"."inbox" WHERE "consumer" = 'consumer-probe' AND "event_id" = $1`, [probe('ack-lost').id]);
    expect(inbox).toEqual([{ n: 1 }]);
  });

  it('redelivers after a passing error (nak with backoff) and applies the event on the next delivery', async () => {
    behaviour.failOnce.add('flaky-once');
    await produce(probe('flaky-once'));
    const [row] = await waitFor(async () => ((await effects('flaky-once')).length ? effects('flaky-once') : undefined), { what: 'applied on redelivery', timeoutMs: 15_000 });
    expect(row.delivery).toBe(2);
    expect([...behaviour.deliveriesSeen.get('flaky-once')!].sort()).toEqual([1, 2]);
  });

  it('answers @MessagePattern requests over core NATS, a throw as { error }, and the outbox replay subject', async () => {
    expect(await producer.messaging.request('probe.echo', { say: 'hello' })).toEqual({ heard: 'hello', subject: 'probe.echo' });
    expect(await producer.messaging.request('probe.echo', { say: 'boom' })).toEqual({ error: 'cannot say boom' });
    await produce(probe('replayed'));
    await producer.outboxRelay!.flush();
    const reply = await consumer.messaging.request(outboxReplaySubject('producer'), { replayId: 'backbone-1', subjectPrefix: ProbeRecorded.subject('g1'), eventIds: [probe('replayed').id] });
    expect(reply).toEqual({ replayed: 1 });
    expect(await consumer.messaging.request(outboxReplaySubject('producer'), { subjectPrefix: 'x' })).toEqual({ error: 'replayId: Required' });
    // The replayed copy reaches the consumer and is absorbed by its inbox.
    await waitFor(async () => (await effects('replayed')).length === 1, { what: 'replayed effect' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await effects('replayed')).toHaveLength(1);
  });

  it('dead-letters a malformed message with its reason and keeps consuming', async () => {
    const subject = producer.messaging.subject(ProbeRecorded.subject('g1'));
    await producer.messaging.js.publish(subject, sc.encode('{not json'), { msgID: 'malformed-1' });
    const invalid = { ...probe('invalid'), data: { label: 'invalid', energyWh: '1.5' } };
    await producer.messaging.js.publish(subject, sc.encode(JSON.stringify(invalid)), { msgID: 'malformed-2' });
    await produce(probe('after-malformed'));

    await waitFor(async () => (await effects('after-malformed')).length === 1, { what: 'later message applied' });
    const reasons = await waitFor(() => {
      const found = deadLetters.map((d) => MessageDeadLettered.parse(d).data).filter((d) => d.subject === ProbeRecorded.subject('g1'));
      return found.length >= 2 ? found : undefined;
    });
    expect(reasons.map((r) => r.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/^malformed: not JSON/), expect.stringMatching(/malformed: invalid meter\.probe\.recorded: data\.energyWh/)]));
    expect(reasons[0]).toMatchObject({ stream: 'METER', consumer: 'consumer-probe', deliveries: 1 });
    expect(Buffer.from(reasons.find((r) => r.reason.includes('not JSON'))!.payloadBase64, 'base64').toString()).toBe('{not json');
  });

  it('dead-letters a poison event at once and a failing one after bounded deliveries', async () => {
    behaviour.poison.add('poison');
    behaviour.alwaysFail.add('flaky-forever');
    await produce(probe('poison'));
    await produce(probe('flaky-forever'));
    await produce(probe('after-failures'));
    const letters = await waitFor(
      () => {
        const found = deadLetters.map((d) => MessageDeadLettered.parse(d).data);
        const poison = found.find((d) => d.reason.includes('label poison'));
        const exhausted = found.find((d) => d.reason.includes('flaky-forever'));
        return poison && exhausted ? { poison, exhausted } : undefined;
      },
      { timeoutMs: 15_000, what: 'both dead letters' },
    );
    expect(letters.poison.reason).toMatch(/^rejected: label poison is not allowed/);
    expect(letters.poison.deliveries).toBe(1);
    expect(letters.exhausted.reason).toMatch(/^deliveries exhausted after 3: database hiccup/);
    // A failed batch is retried message by message, so count deliveries, not handler calls.
    expect([...behaviour.deliveriesSeen.get('flaky-forever')!].sort()).toEqual([1, 2, 3]);
    expect(await effects('after-failures')).toHaveLength(1);
    expect(await effects('flaky-forever')).toHaveLength(0);
  });

  it('exposes consumer, publish and outbox metrics at /metrics', async () => {
    const text = await waitFor(async () => {
      const body = await (await fetch(`${consumer.url}/metrics`)).text();
      return body.includes('gridledger_consumer_pending_messages') ? body : undefined;
    }, { timeoutMs: 10_000, what: 'lag gauge' });
    expect(text).toMatch(/gridledger_consumer_pending_messages\{consumer="consumer-probe",stream="METER"[^}]*\} 0/);
    expect(text).toMatch(/gridledger_messages_consumed_total\{consumer="consumer-probe",outcome="applied",action="ack"[^}]*\} \d+/);
    expect(text).toMatch(/gridledger_messages_published_total\{type="meter.probe.recorded",duplicate="true"[^}]*\} 1/);
    expect(text).toMatch(/gridledger_outbox_unpublished_rows\{schema="producer_svc"[^}]*\} 0/);
  });
});

export type { DataSource };
