import { DiscardPolicy, RetentionPolicy, StorageType, nanos, type JetStreamManager, type StreamConfig } from 'nats';
import type { Namespace } from './namespace';

/** A stream as the contracts declare it (docs/contracts-between-services.md, "Streams"). */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  /** Nats-Msg-Id duplicates within this window are dropped by JetStream. */
  readonly duplicateWindowMs: number;
  /** Messages older than this are removed (limits retention); sized for the replays consumers need. */
  readonly maxAgeMs: number;
  /** At most this many bytes per replica; a full stream refuses new messages (discard new). */
  readonly maxBytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
// Two minutes is JetStream's default; a day lets an outbox replay after a long outage stay deduped.
const DUPLICATE_WINDOW_MS = DAY_MS;
// Settlement: corrections re-settle a period up to 8 weeks after it; plus a month's margin.
const SETTLEMENT_RETENTION_MS = 90 * DAY_MS;

// Sizes per replica; together 17.5 GiB of the brokers' 20 GB max_file_store (k8s/base/nats.yaml).
export const STREAMS = {
  METER: { name: 'METER', subjects: ['meter.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: 35 * DAY_MS, maxBytes: 10 * GiB },
  BALANCING: { name: 'BALANCING', subjects: ['balancing.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: SETTLEMENT_RETENTION_MS, maxBytes: 4 * GiB },
  CAPACITY: { name: 'CAPACITY', subjects: ['capacity.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: SETTLEMENT_RETENTION_MS, maxBytes: 1 * GiB },
  CHAIN: { name: 'CHAIN', subjects: ['chain.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: SETTLEMENT_RETENTION_MS, maxBytes: 1 * GiB },
  MARKET: { name: 'MARKET', subjects: ['market.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: SETTLEMENT_RETENTION_MS, maxBytes: 512 * MiB },
  DEADLETTER: { name: 'DEADLETTER', subjects: ['platform.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: 30 * DAY_MS, maxBytes: 1 * GiB },
} as const satisfies Record<string, StreamSpec>;

/**
 * JetStream reserves a stream's max_bytes from the server's store when the stream is created,
 * so the many namespaced (test) streams on one server each get this much at most.
 */
export const NAMESPACED_STREAM_MAX_BYTES = 256 * MiB;

export type StreamName = keyof typeof STREAMS;
export const ALL_STREAMS: readonly StreamSpec[] = Object.values(STREAMS);

/**
 * Request subjects (`meter.readings.submit`) share their domain prefix with a stream's
 * `meter.>`; a core request on a stream subject would be stored and answered by JetStream
 * with a PubAck. On the wire they therefore travel under `rpc.`, which no stream captures.
 */
export function rpcSubject(subject: string): string {
  return `rpc.${subject}`;
}

export function streamConfig(spec: StreamSpec, ns: Namespace, replicas = 1): Partial<StreamConfig> & { name: string } {
  return {
    name: ns.stream(spec.name),
    subjects: spec.subjects.map((subject) => ns.subject(subject)),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: nanos(spec.duplicateWindowMs),
    max_age: nanos(spec.maxAgeMs),
    max_bytes: ns.value ? Math.min(spec.maxBytes, NAMESPACED_STREAM_MAX_BYTES) : spec.maxBytes,
    // A full stream refuses (the outbox keeps the rows, and says so) instead of dropping old messages unseen.
    discard: DiscardPolicy.New,
    num_replicas: replicas,
  };
}

/** What start-up does with a stream: create it, update it to the declared config, or refuse to start. */
export type StreamDecision = { readonly action: 'create' } | { readonly action: 'update' } | { readonly action: 'refuse'; readonly reason: string };

/**
 * Never lowers a stream's replica count: a service configured for fewer replicas than the
 * stream has (a forgotten NATS_STREAM_REPLICAS, a dev config pointed at prod) refuses to start.
 */
export function decideStream(existing: Pick<StreamConfig, 'name' | 'num_replicas'> | undefined, wanted: Partial<StreamConfig> & { name: string }): StreamDecision {
  if (!existing) return { action: 'create' };
  const wantedReplicas = wanted.num_replicas ?? 1;
  if (existing.num_replicas > wantedReplicas) {
    return {
      action: 'refuse',
      reason: `stream ${existing.name} has ${existing.num_replicas} replicas and this service is configured for ${wantedReplicas} (NATS_STREAM_REPLICAS): refusing to lower them; set NATS_STREAM_REPLICAS=${existing.num_replicas}, or change the stream by hand if fewer replicas are really meant`,
    };
  }
  return { action: 'update' };
}

/** Creates each stream, or updates it to the declared config; safe to run on every start. */
export async function ensureStreams(jsm: JetStreamManager, ns: Namespace, specs: readonly StreamSpec[] = ALL_STREAMS, replicas = 1): Promise<void> {
  for (const spec of specs) {
    const config = streamConfig(spec, ns, replicas);
    let existing: StreamConfig | undefined;
    try {
      existing = (await jsm.streams.info(config.name)).config;
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
    }
    const decision = decideStream(existing, config);
    if (decision.action === 'refuse') throw new Error(decision.reason);
    if (decision.action === 'create') {
      try {
        await jsm.streams.add(config);
        continue;
      } catch (addError) {
        // Another replica created it between our info and add: fall through to update.
        if (!/already in use|exists/i.test(String(addError))) throw addError;
      }
    }
    await jsm.streams.update(config.name, config);
  }
}

function isStreamNotFound(error: unknown): boolean {
  const code = (error as { api_error?: { err_code?: number } }).api_error?.err_code;
  return code === 10059 || /stream not found/i.test(String(error));
}
