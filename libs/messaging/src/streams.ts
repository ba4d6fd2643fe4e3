import { RetentionPolicy, StorageType, nanos, type JetStreamManager, type StreamConfig } from 'nats';
import type { Namespace } from './namespace';

/** A stream as the contracts declare it (docs/contracts-between-services.md). */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  /** Nats-Msg-Id duplicates within this window are dropped by JetStream. */
  readonly duplicateWindowMs: number;
  /** 0 = keep forever (limits retention: every stream can be replayed). */
  readonly maxAgeMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Two minutes is JetStream's default; a day lets an outbox replay after a long outage stay deduped.
const DUPLICATE_WINDOW_MS = DAY_MS;

export const STREAMS = {
  METER: { name: 'METER', subjects: ['meter.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: 0 },
  BALANCING: { name: 'BALANCING', subjects: ['balancing.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: 0 },
  CAPACITY: { name: 'CAPACITY', subjects: ['capacity.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: 0 },
  CHAIN: { name: 'CHAIN', subjects: ['chain.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: 0 },
  MARKET: { name: 'MARKET', subjects: ['market.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: 0 },
  DEADLETTER: { name: 'DEADLETTER', subjects: ['platform.>'], duplicateWindowMs: DUPLICATE_WINDOW_MS, maxAgeMs: 0 },
} as const satisfies Record<string, StreamSpec>;

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
    num_replicas: replicas,
  };
}

/** Creates each stream, or updates it to the declared config; safe to run on every start. */
export async function ensureStreams(jsm: JetStreamManager, ns: Namespace, specs: readonly StreamSpec[] = ALL_STREAMS, replicas = 1): Promise<void> {
  for (const spec of specs) {
    const config = streamConfig(spec, ns, replicas);
    try {
      await jsm.streams.info(config.name);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
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
