import type { Context } from '@opentelemetry/api';
import type { EntityManager } from 'typeorm';
import type { EventOf } from '@gridledger/events';
import type { RedeliveryPolicy } from '../ack-decision';
import type { AnyEventDefinition } from '../messaging-client';

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

/**
 * What a handler may do besides writing through `em`: ask for work to run once the inbox
 * transaction has committed (before the ack). A throw there counts as a lost ack: the
 * message is redelivered and the inbox absorbs the duplicate.
 */
export interface InboxTransaction {
  readonly em: EntityManager;
  afterCommit(hook: () => void | Promise<void>): void;
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
  readonly handle?: (event: ReceivedEvent<EventOf<D[number]>>, em: EntityManager, tx: InboxTransaction) => Promise<void>;
  /** Apply many events in one transaction (only events not yet in the inbox are passed). */
  readonly handleBatch?: (events: readonly ReceivedEvent<EventOf<D[number]>>[], em: EntityManager, tx: InboxTransaction) => Promise<void>;
  /** Fault injection for tests: runs after commit (with every event of it, duplicates too), before ack; a throw means "ack lost". */
  readonly afterCommit?: (events: readonly ReceivedEvent<EventOf<D[number]>>[]) => void | Promise<void>;
  readonly logger?: ConsumerLogger;
}

export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_ACK_WAIT_MS = 60_000;

/** How often messages in hand are reported as still being worked on: a third of ack_wait. */
export function keepAliveEveryMs(ackWaitMs = DEFAULT_ACK_WAIT_MS): number {
  return Math.max(1000, Math.floor(ackWaitMs / 3));
}
