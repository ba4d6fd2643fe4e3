import type { ConsumerMessages, JsMsg } from 'nats';
import type { DataSource } from 'typeorm';
import type { EventOf } from '@gridledger/events';
import { counter, histogram, markSpanFailed } from '@gridledger/telemetry';
import { DEFAULT_REDELIVERY, decideAck, type AckAction, type RedeliveryPolicy } from '../ack-decision';
import type { AnyEventDefinition, MessagingClient } from '../messaging-client';
import { forgetReadings, reportConsumerLag } from '../lag-metrics';
import { DEFAULT_BATCH_SIZE, keepAliveEveryMs, type ConsumerOptions, type InboxTransaction, type ReceivedEvent } from './consumer-options';
import { durableConsumerSpecs, upsertConsumer } from './consumer-setup';
import { deadLetter } from './dead-letter';
import { receive, type Delivery } from './delivery';
import { allAtOnce, applyInInbox, oneByOne, type ApplyFresh } from './inbox';

const consumed = () => counter('gridledger_messages_consumed_total', 'Messages handled by durable consumers, by outcome');
const batchSeconds = () => histogram('gridledger_consumer_batch_seconds', 'Time to apply one batch of messages', 's');

/**
 * A durable pull consumer that owns the ack decision: decode+validate, inbox row and
 * handler in one transaction, commit, then ack; duplicates acked without the handler;
 * transient failures nak'd with backoff; poison or exhausted messages dead-lettered.
 * This file is the pull loop; consumer setup, the inbox, dead letters and error
 * classification live beside it.
 */
export class ConsumerRunner<D extends readonly AnyEventDefinition[]> {
  private readonly accepted: ReadonlyMap<string, AnyEventDefinition>;
  private readonly policy: RedeliveryPolicy;
  private readonly batchSize: number;
  private readonly apply: ApplyFresh;
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
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    type Event = ReceivedEvent<EventOf<D[number]>>;
    const { handle, handleBatch } = options;
    this.apply = handle
      ? oneByOne((event, tx: InboxTransaction) => handle(event as Event, tx.em, tx))
      : allAtOnce((events, tx: InboxTransaction) => handleBatch!(events as readonly Event[], tx.em, tx));
  }

  get name(): string {
    return this.options.durable;
  }

  /** Creates or updates the durable consumer(s) and starts pulling. */
  async start(): Promise<void> {
    if (this.running) return;
    const streamName = this.messaging.streamName(this.options.stream);
    const filters = (this.options.filterSubjects ?? [...new Set(this.options.events.map((d) => d.subjectFilter))]).map((s) => this.messaging.subject(s));
    const specs = durableConsumerSpecs({
      durable: this.options.durable,
      filters,
      policy: this.policy,
      batchSize: this.batchSize,
      ackWaitMs: this.options.ackWaitMs,
      serverVersion: this.messaging.nc.info?.version,
    });
    for (const spec of specs) {
      await upsertConsumer(this.messaging, streamName, spec);
      this.consumerNames.push(spec.name);
    }
    await this.subscribe(streamName);
    this.running = true;
    this.loopDone = this.loop();
    this.watchLag(streamName);
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
    if (Date.now() - this.lastKeepAlive < keepAliveEveryMs(this.options.ackWaitMs)) return;
    this.lastKeepAlive = Date.now();
    for (const msg of this.queue) msg.working();
  }

  /**
   * The database is unreachable: keep the messages in hand (telling JetStream we are still
   * working on them, so they are not redelivered and no delivery is burnt), wait until
   * Postgres answers, then carry on where we were. An outage never dead-letters good events.
   */
  private async holdUntilDatabaseAnswers(reason: string): Promise<void> {
    this.options.logger?.warn(`consumer ${this.name}: database unavailable, holding ${this.queue.length} messages: ${reason}`, 'ConsumerRunner');
    const heartbeatMs = keepAliveEveryMs(this.options.ackWaitMs);
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

  private async processBatch(batch: JsMsg[]): Promise<void> {
    const started = process.hrtime.bigint();
    const deliveries = batch.map((msg) => receive(msg, this.name, this.accepted, this.messaging.ns));
    const valid = deliveries.filter((delivery) => delivery.event !== undefined);
    if (valid.length > 0) {
      const together = await this.inInbox(valid);
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
          const alone = await this.inInbox([delivery]);
          if (!alone.ok) delivery.outcome = alone.outcome;
        }
      } else if (!together.ok) {
        valid[0].outcome = together.outcome;
      }
    }
    for (const delivery of deliveries) await this.settle(delivery);
    batchSeconds().record(Number(process.hrtime.bigint() - started) / 1e9, { consumer: this.name });
  }

  private inInbox(deliveries: Delivery[]) {
    type Event = ReceivedEvent<EventOf<D[number]>>;
    const afterCommit = this.options.afterCommit;
    return applyInInbox(this.dataSource, this.name, deliveries, this.apply, afterCommit && ((events) => afterCommit(events as readonly Event[])));
  }

  /** Carries out decideAck for one delivery. */
  private async settle(delivery: Delivery): Promise<void> {
    const outcome = delivery.outcome ?? { kind: 'failed', reason: 'no outcome' };
    const action: AckAction = decideAck(outcome, delivery.msg.info.redeliveryCount, this.policy);
    consumed().add(1, { consumer: this.name, outcome: outcome.kind, action: action.kind });
    const seq = delivery.msg.info.streamSequence;
    try {
      switch (action.kind) {
        case 'ack':
          delivery.msg.ack();
          break;
        case 'nak':
          this.options.logger?.warn(`consumer ${this.name}: seq ${seq} failed, retry in ${action.delayMs} ms: ${'reason' in outcome ? outcome.reason : ''}`, 'ConsumerRunner');
          delivery.msg.nak(action.delayMs);
          break;
        case 'deadletter':
          this.options.logger?.warn(`consumer ${this.name}: dead-lettering seq ${seq}: ${action.reason}`, 'ConsumerRunner');
          if (!(await deadLetter(this.messaging, delivery, this.options.stream, this.name, action.reason, this.policy.backoffMs[0] ?? 0))) {
            this.options.logger?.error(`consumer ${this.name}: dead-letter publish failed for seq ${seq}, will retry`, 'ConsumerRunner');
          }
          break;
      }
    } finally {
      if (outcome.kind !== 'applied' && outcome.kind !== 'duplicate') markSpanFailed(delivery.span, new Error(outcome.reason));
      delivery.span.setAttribute('gridledger.ack', action.kind);
      delivery.span.end();
    }
  }
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
