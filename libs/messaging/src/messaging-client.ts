import { connect, headers as natsHeaders, type ConnectionOptions, JSONCodec, type JetStreamClient, type JetStreamManager, type MsgHdrs, type NatsConnection, type PubAck, type Subscription } from 'nats';
import { SpanKind, context } from '@opentelemetry/api';
import type { EventDefinition, EventEnvelope } from '@gridledger/events';
import { counter, extractTraceContext, injectTraceContext, recordCarrier, withSpan } from '@gridledger/telemetry';
import { Namespace } from './namespace';
import { ALL_STREAMS, ensureStreams, rpcSubject, type StreamSpec } from './streams';
import { EVENT_TYPE_HEADER, headerCarrier } from './nats-headers';
import { natsInboxPrefix } from './nats-access';
import type { z } from 'zod';

export interface MessagingOptions {
  readonly url: string;
  /** Test isolation prefix (NATS_NAMESPACE); empty or undefined in production. */
  readonly namespace?: string;
  /** Connection name shown by the server (the service name); also the publisher part of every Nats-Msg-Id. */
  readonly name: string;
  /** NATS user and password (nats-access.ts); none for a server without auth. */
  readonly credentials?: { readonly user: string; readonly password: string };
  /** PEM file of the CA that signed the server's certificate: the connection then requires TLS. */
  readonly tlsCaFile?: string;
}

export interface PublishResult {
  readonly stream: string;
  readonly seq: number;
  /** True when JetStream dropped it as a Nats-Msg-Id duplicate. */
  readonly duplicate: boolean;
}

export type AnyEventDefinition = EventDefinition<string, z.ZodTypeAny>;

const json = JSONCodec<unknown>();

/** One NATS connection with JetStream, namespaced subjects and traced publish/request. */
export class MessagingClient {
  readonly js: JetStreamClient;

  constructor(
    readonly nc: NatsConnection,
    readonly jsm: JetStreamManager,
    readonly ns: Namespace,
    /** Prefixes every Nats-Msg-Id, so another publisher's event ids cannot shadow ours in a stream's duplicate window. */
    readonly publisher = 'anonymous',
  ) {
    this.js = nc.jetstream();
  }

  /** The wire subject for a logical one. */
  subject(logical: string): string {
    return this.ns.subject(logical);
  }

  /** The real stream name for a logical one (METER → METER_<ns>). */
  streamName(logical: string): string {
    return this.ns.stream(logical);
  }

  ensureStreams(specs: readonly StreamSpec[] = ALL_STREAMS, replicas = 1): Promise<void> {
    return ensureStreams(this.jsm, this.ns, specs, replicas);
  }

  /**
   * The Nats-Msg-Id JetStream deduplicates on: `<publisher>:<id>`. Ids are deterministic from
   * content, so anyone could compute the next one; with the publisher in it, a copy published
   * first by someone else never makes JetStream drop ours as a duplicate.
   */
  msgId(id: string): string {
    return `${this.publisher}:${id}`;
  }

  /**
   * Validates and publishes one event with `Nats-Msg-Id = <publisher>:<envelope.id>` and the trace
   * context of a producer span; returns JetStream's ack (with its `duplicate` flag).
   */
  async publishEvent<D extends AnyEventDefinition>(definition: D, envelope: ReturnType<D['create']>, key?: string): Promise<PublishResult> {
    const valid = definition.parse(envelope);
    return this.publishRaw(definition.subject(key), JSON.stringify(valid), { eventId: valid.id, eventType: valid.type });
  }

  /**
   * Publishes an already serialized envelope (the outbox relay's path). `traceHeaders`
   * carries the context captured when the event was enqueued, so the trace continues.
   */
  async publishRaw(
    logicalSubject: string,
    payload: string | Uint8Array,
    meta: { eventId: string; eventType: string; traceHeaders?: Record<string, string>; /** Defaults to eventId; only replays differ. */ msgId?: string },
  ): Promise<PublishResult> {
    const subject = this.subject(logicalSubject);
    const parent = meta.traceHeaders ? extractTraceContext(recordCarrier({ ...meta.traceHeaders })) : context.active();
    return withSpan(
      `publish ${logicalSubject}`,
      { kind: SpanKind.PRODUCER, parent, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.message.id': meta.eventId } },
      async () => {
        const hdrs = natsHeaders();
        hdrs.set(EVENT_TYPE_HEADER, meta.eventType);
        injectTraceContext(headerCarrier(hdrs));
        const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
        const ack: PubAck = await this.js.publish(subject, data, { msgID: this.msgId(meta.msgId ?? meta.eventId), headers: hdrs });
        counter('gridledger_messages_published_total', 'Events published to JetStream, by type and whether JetStream dropped them as duplicates').add(1, { type: meta.eventType, duplicate: ack.duplicate });
        return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
      },
    );
  }

  /**
   * Core NATS request with JSON body and trace headers. `logicalSubject` is the contract's
   * name (`meter.readings.submit`); it travels under `rpc.` so no stream captures it.
   */
  async request<TReply = unknown>(logicalSubject: string, body: unknown, timeoutMs = 5000): Promise<TReply> {
    const subject = this.subject(rpcSubject(logicalSubject));
    return withSpan(`request ${logicalSubject}`, { kind: SpanKind.CLIENT, attributes: { 'messaging.destination.name': subject } }, async () => {
      const hdrs = natsHeaders();
      injectTraceContext(headerCarrier(hdrs));
      const reply = await this.nc.request(subject, json.encode(body), { timeout: timeoutMs, headers: hdrs });
      return json.decode(reply.data) as TReply;
    });
  }

  /**
   * Answers requests on a subject with a JSON reply. Members of a queue group share the load
   * across replicas. A handler error is answered as `{ error }` rather than left to time out.
   * `raw`: the handler gets the request bytes as a Buffer instead of parsed JSON.
   */
  serve(logicalSubject: string, handler: (body: unknown, headers: MsgHdrs | undefined) => Promise<unknown>, queue = 'service', options: { readonly raw?: boolean } = {}): Subscription {
    const subject = this.subject(rpcSubject(logicalSubject));
    return this.nc.subscribe(subject, {
      queue,
      callback: (error, msg) => {
        if (error) return;
        const parent = extractTraceContext(msg.headers ? headerCarrier(msg.headers) : undefined);
        void withSpan(`serve ${logicalSubject}`, { kind: SpanKind.SERVER, parent }, async () => {
          let reply: unknown;
          try {
            const body = options.raw ? Buffer.from(msg.data) : msg.data.length ? json.decode(msg.data) : undefined;
            reply = await handler(body, msg.headers);
          } catch (handlerError) {
            reply = { error: handlerError instanceof Error ? handlerError.message : String(handlerError) };
          }
          msg.respond(json.encode(reply));
        }).catch(() => undefined);
      },
    });
  }

  /** Answers within the timeout when the server is reachable (for readiness). */
  async ping(timeoutMs = 1000): Promise<void> {
    if (this.nc.isClosed()) throw new Error('NATS connection is closed');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`NATS did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.nc.flush(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets in-flight work finish, then closes. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}

export async function connectMessaging(options: MessagingOptions): Promise<MessagingClient> {
  const ns = new Namespace(options.namespace);
  // noAsyncTraces: without it every request and JetStream publish builds an Error (a stack
  // capture) up front, to name its call site should it time out; our timeouts name the
  // subject, and the capture was a measurable part of intake (docs/scaling.md).
  const nc = await connect({ servers: options.url, name: options.name, maxReconnectAttempts: -1, reconnectTimeWait: 500, noAsyncTraces: true, ...natsAuthOptions(options) });
  const jsm = await nc.jetstreamManager();
  return new MessagingClient(nc, jsm, ns, options.name);
}

/**
 * User, password, TLS and the user's own inbox prefix (`_INBOX.<user>`: a user may subscribe
 * only to its own replies). For any `connect` to a gridledger NATS, not only connectMessaging.
 */
export function natsAuthOptions(options: Pick<MessagingOptions, 'credentials' | 'tlsCaFile'>): Partial<ConnectionOptions> {
  return {
    ...(options.credentials ? { user: options.credentials.user, pass: options.credentials.password, inboxPrefix: natsInboxPrefix(options.credentials.user) } : {}),
    ...(options.tlsCaFile ? { tls: { caFile: options.tlsCaFile } } : {}),
  };
}

export type { EventEnvelope };
