import type { RedeliveryPolicy } from '../ack-decision';
import type { AnyEventDefinition } from '../messaging-client';
import { ALL_STREAMS, type StreamSpec } from '../streams';

/**
 * What a stream handler declares beside its pattern, as the `extras` of
 * `@EventPattern(subjectFilter, streamConsumer({ ... }))`.
 */
export interface StreamConsumerOptions {
  /** The durable consumer is `<service prefix>-<consumer>` (the prefix is the service name unless configured). */
  readonly consumer: string;
  /** The events it accepts; anything else on the subject is dead-lettered as malformed. */
  readonly events: readonly AnyEventDefinition[];
  /** The handler receives every fresh event of a fetch at once (an array) instead of one per call. */
  readonly batch?: boolean;
  /** Messages applied per database transaction (default 100). */
  readonly batchSize?: number;
  readonly redelivery?: Partial<RedeliveryPolicy>;
  /** Overrides the service's ack wait for this consumer. */
  readonly ackWaitMs?: number;
}

const STREAM_CONSUMER = 'gridledger.streamConsumer';
export type StreamConsumerExtras = { readonly [STREAM_CONSUMER]: StreamConsumerOptions };

/** The extras of a JetStream `@EventPattern`: durable pull consumer, inbox transaction, ack after commit. */
export function streamConsumer(options: StreamConsumerOptions): StreamConsumerExtras {
  return { [STREAM_CONSUMER]: options };
}

export function streamConsumerOf(extras: Record<string, unknown> | undefined): StreamConsumerOptions | undefined {
  return extras?.[STREAM_CONSUMER] as StreamConsumerOptions | undefined;
}

export interface RequestOptions {
  /** Queue group shared by the replicas (default: the service name). */
  readonly queue?: string;
  /** Hand the handler the raw request bytes (a Buffer) instead of parsed JSON. */
  readonly raw?: boolean;
}

const REQUEST = 'gridledger.request';
export type RequestExtras = { readonly [REQUEST]: RequestOptions };

/** The extras of a `@MessagePattern` answered over core NATS request/reply (under `rpc.`). */
export function natsRequest(options: RequestOptions = {}): RequestExtras {
  return { [REQUEST]: options };
}

export function requestOptionsOf(extras: Record<string, unknown> | undefined): RequestOptions {
  return (extras?.[REQUEST] as RequestOptions | undefined) ?? {};
}

/** The stream that stores a subject filter (`meter.intervals.measured.*` → METER). */
export function streamOfSubject(filter: string, streams: readonly StreamSpec[] = ALL_STREAMS): StreamSpec {
  const found = streams.find((stream) => stream.subjects.some((subject) => subjectWithin(filter, subject)));
  if (!found) throw new Error(`no stream stores "${filter}"`);
  return found;
}

/** Whether every subject `filter` matches is also matched by `wider` (NATS tokens, `*` and `>`). */
export function subjectWithin(filter: string, wider: string): boolean {
  const a = filter.split('.');
  const b = wider.split('.');
  for (let i = 0; i < b.length; i += 1) {
    if (b[i] === '>') return i < a.length;
    if (i >= a.length) return false;
    if (b[i] === '*') {
      if (a[i] === '>') return false;
      continue;
    }
    if (a[i] !== b[i]) return false;
  }
  return a.length === b.length;
}

/** `<prefix>-<consumer>`: today's durable names (`balancing-intervals`, `chain-bridge-settled`). */
export function durableName(prefix: string, consumer: string): string {
  return `${prefix}-${consumer}`;
}
