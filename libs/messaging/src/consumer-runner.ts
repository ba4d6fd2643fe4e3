import { AckPolicy, DeliverPolicy, nanos, type ConsumerConfig, type ConsumerMessages, type JsMsg } from 'nats';
import { SpanKind, context, trace, type Context, type Span } from '@opentelemetry/api';
import type { DataSource, EntityManager } from 'typeorm';
import { MessageDeadLettered, type EventOf } from '@gridledger/events';
import { counter, extractTraceContext, histogram, markSpanFailed, tracer } from '@gridledger/telemetry';
import { DEFAULT_REDELIVERY, decideAck, type AckAction, type ProcessingOutcome, type RedeliveryPolicy } from './ack-decision';
import { decodeEvent } from './decode';
import { PoisonEventError } from './errors';
import type { AnyEventDefinition, MessagingClient } from './messaging-client';
import { headerCarrier } from './nats-headers';
import { forgetReadings, reportConsumerLag } from './lag-metrics';

/** One delivered, validated event as a handler sees it. */
export interface ReceivedEvent<E = EventOf<AnyEventDefinition>> {
  readonly envelope: E;
  /** The logical subject (namespace removed). */
  readonly subject: string;
  readonly streamSequence: number;
  readonly deliveryCount: number;
  /** The event's consume span context (a child of the producer's trace). */
  readonly traceContext: Context;
}

export interface ConsumerLogger {
  log(message: string, context?: string): void;
  warn(message: string, context?: string): void;
  error(message: string, context?: string): void;
}

export interface ConsumerOptions<D extends readonly AnyEventDefinition[]> {
  /** Logical stream name, e.g. STREAMS.METER.name. */
  readonly stream: string;
  /** Durable consumer name; also the inbox's consumer key. */
  readonly durable: string;
  readonly events: D;
  /** Logical filter subjects; default: each accepted event's subjectFilter. */
  readonly filterSubjects?: readonly string[];
  readonly redelivery?: Partial<RedeliveryPolicy>;
  /** Messages applied per database transaction (default 100). */
  readonly batchSize?: number;
  /** How long JetStream waits for an ack before redelivering (default 60 s). */
  readonly ackWaitMs?: number;
  /** Apply one event (runs inside its own trace context). Exactly one of handle/handleBatch. */
  readonly handle?: (event: ReceivedEvent<EventOf<D[number]>>, em: EntityManager) => Promise<void>;
  /** Apply many events in one transaction (only events not yet in the inbox are passed). */
  readonly handleBatch?: (events: readonly ReceivedEvent<EventOf<D[number]>>[], em: EntityManager) => Promise<void>;
  /** Fault injection for tests: runs after commit (with every event of it, duplicates too), before ack; a throw means "ack lost". */
  readonly afterCommit?: (events: readonly ReceivedEvent<EventOf<D[number]>>[]) => void | Promise<void>;
  readonly logger?: ConsumerLogger;
}

interface Delivery {
  readonly msg: JsMsg;
  readonly span: Span;
  readonly event?: ReceivedEvent;
  outcome?: ProcessingOutcome;
}

const consumed = () => counter('gridledger_messages_consumed_total', 'Messages handled by durable consumers, by outcome');
const batchSeconds = () => histogram('gridledger_consumer_batch_seconds', 'Time to apply one batch of messages', 's');

/**
 * A durable pull consumer that owns the ack decision: decode+validate, inbox row and
 * handler in one transaction, commit, then ack; duplicates acked without the handler;
 * transient failures nak'd with backoff; poison or exhausted messages dead-lettered.
 */
export class ConsumerRunner<D extends readonly AnyEventDefinition[]> {
  private readonly accepted: ReadonlyMap<string, AnyEventDefinition>;
  private readonly policy: RedeliveryPolicy;
  private readonly batchSize: number;
  private readonly queue: JsMsg[] = [];
  private readonly subscriptions: ConsumerMessages[] = [];
  private wake: (() => void) | undefined;
  private running = false;
  private loopDone: Promise<void> | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private lastKeepAlive = Date.now();
  private readonly consumerNames: string[] = [];

  constructor(
    private readonly messaging: MessagingClient,
    private readonly dataSource: DataSource,
    private readonly options: ConsumerOptions<D>,
  ) {
    if (!options.handle === !options.handleBatch) throw new Error(`consumer ${options.durable}: give exactly one of handle or handleBatch`);
    this.accepted = new Map(options.events.map((definition) => [definition.type, definition]));
    this.policy = { ...DEFAULT_REDELIVERY, ...options.redelivery };
    if (this.policy.maxDeliver < 1) throw new RangeError('redelivery.maxDeliver must be at least 1');
    this.batchSize = options.batchSize ?? 100;
  }

  get name(): string {
    return this.options.durable;
  }

  /** Creates or updates the durable consumer(s) and starts pulling. */
  async start(): Promise<void> {
    if (this.running) return;
    const streamName = this.messaging.streamName(this.options.stream);
    const filters = (this.options.filterSubjects ?? [...new Set(this.options.events.map((d) => d.subjectFilter))]).map((s) => this.messaging.subject(s));
    for (const { name, config } of this.consumerConfigs(filters)) {
      await this.upsertConsumer(streamName, name, config);
      this.consumerNames.push(name);
    }
    await this.subscribe(streamName);
    this.running = true;
    this.loopDone = this.loop();
    this.watchLag(streamName);
  }

  private async subscribe(streamName: string): Promise<void> {
    for (const name of this.consumerNames) {
      const consumer = await this.messaging.js.consumers.get(streamName, name);
      const messages = await consumer.consume({
        max_messages: this.batchSize * 2,
        callback: (msg) => {
          this.queue.push(msg);
          this.wake?.();
        },
      });
      this.subscriptions.push(messages);
    }
  }

  /**
   * The database is unreachable: keep the messages in hand (telling JetStream we are still
   * working on them, so they are not redelivered and no delivery is burnt), wait until
   * Postgres answers, then carry on where we were. An outage never dead-letters good events.
   */
  private async holdUntilDatabaseAnswers(reason: string): Promise<void> {
    this.options.logger?.warn(`consumer ${this.name}: database unavailable, holding ${this.queue.length} messages: ${reason}`, 'ConsumerRunner');
    const heartbeatMs = Math.max(1000, Math.floor((this.options.ackWaitMs ?? 60_000) / 3));
    let lastHeartbeat = 0;
    while (this.running) {
      if (Date.now() - lastHeartbeat >= heartbeatMs) {
        for (const msg of this.queue) msg.working();
        lastHeartbeat = Date.now();
      }
      try {
        await this.dataSource.query('SELECT 1');
        this.options.logger?.log(`consumer ${this.name}: database back, resuming`, 'ConsumerRunner');
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  /** Refreshes the consumer-lag gauge every few seconds (NATS's own count, not ours). */
  private watchLag(streamName: string): void {
    const refresh = async () => {
      let pending = 0;
      for (const name of this.consumerNames) {
        const info = await this.messaging.jsm.consumers.info(streamName, name);
        pending += info.num_pending + info.num_ack_pending;
      }
      reportConsumerLag(this, pending, { consumer: this.name, stream: this.options.stream });
    };
    const tick = () => {
      void refresh()
        .catch(() => undefined)
        .finally(() => {
          if (this.running) this.lagTimer = setTimeout(tick, 5000).unref();
        });
    };
    tick();
  }

  /** Finishes the batch in hand, hands unprocessed messages back, stops pulling. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearTimeout(this.lagTimer);
    forgetReadings(this);
    for (const subscription of this.subscriptions.splice(0)) subscription.stop();
    this.wake?.();
    await this.loopDone;
    for (const msg of this.queue.splice(0)) msg.nak();
  }

  /** Server 2.10+ takes several filters on one consumer; 2.9 needs one consumer per filter. */
  private consumerConfigs(filters: string[]): { name: string; config: Partial<ConsumerConfig> }[] {
    const base: Partial<ConsumerConfig> = {
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      // Bounded at the broker too, so a consumer that crashes mid-batch cannot loop forever.
      max_deliver: this.policy.maxDeliver,
      ack_wait: nanos(this.options.ackWaitMs ?? 60_000),
      // Few enough in hand that none waits out ack_wait in our queue behind slow batches.
      max_ack_pending: Math.max(16, this.batchSize * 4),
    };
    const durable = this.options.durable;
    if (filters.length === 1) return [{ name: durable, config: { ...base, durable_name: durable, filter_subject: filters[0] } }];
    if (supportsMultipleFilters(this.messaging.nc.info?.version)) {
      return [{ name: durable, config: { ...base, durable_name: durable, filter_subjects: filters } }];
    }
    return filters.map((filter, index) => ({ name: `${durable}_${index}`, config: { ...base, durable_name: `${durable}_${index}`, filter_subject: filter } }));
  }

  private async upsertConsumer(stream: string, name: string, config: Partial<ConsumerConfig>): Promise<void> {
    try {
      await this.messaging.jsm.consumers.info(stream, name);
    } catch {
      await this.messaging.jsm.consumers.add(stream, config);
      return;
    }
    await this.messaging.jsm.consumers.update(stream, name, config);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      this.keepQueuedAlive();
      const batch = this.queue.splice(0, this.batchSize);
      try {
        await this.processBatch(batch);
      } catch (error) {
        // Only a bug in the runner lands here; hand the messages back rather than lose them.
        this.options.logger?.error(`consumer ${this.name}: batch failed unexpectedly: ${String(error)}`, 'ConsumerRunner');
        for (const msg of batch) msg.nak(this.policy.backoffMs[0] ?? 0);
      }
    }
  }

  /** Tells JetStream that queued messages are in hand, so slow batches cause no redelivery. */
  private keepQueuedAlive(): void {
    const everyMs = Math.max(1000, Math.floor((this.options.ackWaitMs ?? 60_000) / 3));
    if (Date.now() - this.lastKeepAlive < everyMs) return;
    this.lastKeepAlive = Date.now();
    for (const msg of this.queue) msg.working();
  }

  private async processBatch(batch: JsMsg[]): Promise<void> {
    const started = process.hrtime.bigint();
    const deliveries = batch.map((msg) => this.decode(msg));
    const valid = deliveries.filter((delivery) => delivery.event !== undefined);
    if (valid.length > 0) {
      const together = await this.applyInTransaction(valid);
      if (!together.ok && together.outcome.kind === 'unavailable') {
        // Nothing is wrong with these events: settle the malformed ones, hold the rest.
        for (const delivery of deliveries) if (!delivery.event) await this.settle(delivery);
        for (const delivery of valid) delivery.span.end();
        this.queue.unshift(...valid.map((delivery) => delivery.msg));
        await this.holdUntilDatabaseAnswers(together.outcome.reason);
        return;
      } else if (!together.ok && valid.length > 1) {
        // One bad event must not hold back the others: retry them one by one.
        for (const delivery of valid) {
          const alone = await this.applyInTransaction([delivery]);
          if (!alone.ok) delivery.outcome = alone.outcome;
        }
      } else if (!together.ok) {
        valid[0].outcome = together.outcome;
      }
    }
    for (const delivery of deliveries) await this.settle(delivery);
    batchSeconds().record(Number(process.hrtime.bigint() - started) / 1e9, { consumer: this.name });
  }

  private decode(msg: JsMsg): Delivery {
    const parent = extractTraceContext(msg.headers ? headerCarrier(msg.headers) : undefined);
    const subject = this.messaging.ns.unprefix(msg.subject);
    const span = tracer().startSpan(
      `process ${subject}`,
      { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'nats', 'messaging.consumer.group.name': this.name, 'messaging.destination.name': msg.subject } },
      parent,
    );
    const decoded = decodeEvent(msg.data, this.accepted);
    if (!decoded.ok) return { msg, span, outcome: { kind: 'malformed', reason: decoded.reason } };
    span.setAttribute('messaging.message.id', decoded.envelope.id);
    const event: ReceivedEvent = {
      envelope: decoded.envelope as EventOf<AnyEventDefinition>,
      subject,
      streamSequence: msg.info.streamSequence,
      deliveryCount: msg.info.redeliveryCount,
      traceContext: trace.setSpan(parent, span),
    };
    return { msg, span, event };
  }

  /** Inbox rows + handler in one transaction; on success marks each delivery applied or duplicate. */
  private async applyInTransaction(deliveries: Delivery[]): Promise<{ ok: true } | { ok: false; outcome: ProcessingOutcome }> {
    type Event = ReceivedEvent<EventOf<D[number]>>;
    let fresh: Delivery[] = [];
    try {
      await this.dataSource.transaction(async (em) => {
        fresh = await this.claimInInbox(em, deliveries);
        const events = fresh.map((delivery) => delivery.event as Event);
        if (this.options.handleBatch) {
          // Runs in the first event's trace, so work the batch causes continues at least one trace;
          // pass event.traceContext to enqueueOutbox to continue each event's own.
          const handleBatch = this.options.handleBatch;
          if (events.length > 0) await context.with(events[0].traceContext, () => handleBatch(events, em));
        } else {
          const handle = this.options.handle as NonNullable<ConsumerOptions<D>['handle']>;
          for (const event of events) await context.with(event.traceContext, () => handle(event, em));
        }
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof PoisonEventError) return { ok: false, outcome: { kind: 'rejected', reason } };
      return { ok: false, outcome: isDatabaseUnavailable(error) ? { kind: 'unavailable', reason } : { kind: 'failed', reason } };
    }
    for (const delivery of deliveries) delivery.outcome = fresh.includes(delivery) ? { kind: 'applied' } : { kind: 'duplicate' };
    if (this.options.afterCommit) {
      try {
        await this.options.afterCommit(deliveries.map((delivery) => delivery.event as Event));
      } catch (error) {
        const reason = `after commit: ${error instanceof Error ? error.message : String(error)}`;
        for (const delivery of deliveries) delivery.outcome = { kind: 'failed', reason };
      }
    }
    return { ok: true };
  }

  /** Inserts inbox rows; returns the deliveries whose event id was not there yet. */
  private async claimInInbox(em: EntityManager, deliveries: Delivery[]): Promise<Delivery[]> {
    const schema = (this.dataSource.options as { schema?: string }).schema ?? 'public';
    const rows: { event_id: string }[] = await em.query(
      `INSERT INTO "${schema}"."inbox" ("event_id", "consumer", "event_type", "stream_sequence")
       SELECT e, $1, t, s FROM unnest($2::text[], $3::text[], $4::bigint[]) AS x(e, t, s)
       ON CONFLICT DO NOTHING RETURNING "event_id"`,
      [
        this.name,
        deliveries.map((d) => d.event!.envelope.id),
        deliveries.map((d) => d.event!.envelope.type),
        deliveries.map((d) => String(d.event!.streamSequence)),
      ],
    );
    const inserted = new Set(rows.map((row) => row.event_id));
    // The same id twice in one batch: the first copy is fresh, later ones are duplicates.
    return deliveries.filter((delivery) => inserted.delete(delivery.event!.envelope.id));
  }

  private async settle(delivery: Delivery): Promise<void> {
    const outcome = delivery.outcome ?? { kind: 'failed', reason: 'no outcome' };
    const action: AckAction = decideAck(outcome, delivery.msg.info.redeliveryCount, this.policy);
    consumed().add(1, { consumer: this.name, outcome: outcome.kind, action: action.kind });
    try {
      switch (action.kind) {
        case 'ack':
          delivery.msg.ack();
          break;
        case 'nak':
          this.options.logger?.warn(`consumer ${this.name}: seq ${delivery.msg.info.streamSequence} failed, retry in ${action.delayMs} ms: ${'reason' in outcome ? outcome.reason : ''}`, 'ConsumerRunner');
          delivery.msg.nak(action.delayMs);
          break;
        case 'deadletter':
          await this.deadLetter(delivery, action.reason);
          break;
      }
    } finally {
      if (outcome.kind !== 'applied' && outcome.kind !== 'duplicate') markSpanFailed(delivery.span, new Error(outcome.reason));
      delivery.span.setAttribute('gridledger.ack', action.kind);
      delivery.span.end();
    }
  }

  private async deadLetter(delivery: Delivery, reason: string): Promise<void> {
    const { msg } = delivery;
    this.options.logger?.warn(`consumer ${this.name}: dead-lettering seq ${msg.info.streamSequence}: ${reason}`, 'ConsumerRunner');
    const envelope = MessageDeadLettered.create({
      idParts: [this.options.stream, this.name, String(msg.info.streamSequence), String(msg.info.redeliveryCount)],
      occurredAt: new Date(),
      data: {
        stream: this.options.stream,
        consumer: this.name,
        subject: this.messaging.ns.unprefix(msg.subject),
        streamSequence: msg.info.streamSequence,
        deliveries: msg.info.redeliveryCount,
        reason,
        payloadBase64: Buffer.from(msg.data).toString('base64'),
      },
    });
    try {
      await context.with(trace.setSpan(context.active(), delivery.span), () => this.messaging.publishEvent(MessageDeadLettered, envelope, this.options.stream));
    } catch (error) {
      // Without the dead letter recorded, terminating would lose the message: retry later.
      this.options.logger?.error(`consumer ${this.name}: dead-letter publish failed, will retry: ${String(error)}`, 'ConsumerRunner');
      msg.nak(this.policy.backoffMs[0] ?? 0);
      return;
    }
    msg.term(reason.slice(0, 200));
  }
}

/** Connection-class failures: Postgres is away, not the event that is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const candidates = [error, (error as { driverError?: unknown })?.driverError];
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown })?.code;
    if (typeof code === 'string') {
      if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
      if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)) return true;
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is not open|is not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)/i.test(message);
}

function supportsMultipleFilters(version: string | undefined): boolean {
  const [major, minor] = (version ?? '0.0').split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

/** Creates and starts a runner. */
export async function startConsumer<D extends readonly AnyEventDefinition[]>(
  messaging: MessagingClient,
  dataSource: DataSource,
  options: ConsumerOptions<D>,
): Promise<ConsumerRunner<D>> {
  const runner = new ConsumerRunner(messaging, dataSource, options);
  await runner.start();
  return runner;
}
