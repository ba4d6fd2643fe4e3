import { ALL_STREAMS, readDeadLetters, redriveDeadLetters, type DeadLetter, type MessagingClient } from '@gridledger/messaging';
import type { ServiceName } from './config';

export interface ConsumerLag {
  readonly stream: string;
  readonly consumer: string;
  /** Messages not yet delivered to the consumer. */
  readonly pending: number;
  /** Delivered, not yet acknowledged. */
  readonly ackPending: number;
  readonly redelivered: number;
}

export interface ServiceGauges {
  readonly service: ServiceName;
  readonly reachable: boolean;
  readonly outboxUnpublished: number | null;
  readonly outboxParked: number | null;
  readonly settlementParked: number | null;
  /** gridledger_reconciliation_drift when the service exposes it (the reconciler), else null. */
  readonly reconciliationDrift: number | null;
}

export type DeadLetterView = Omit<DeadLetter, 'payloadBase64'> & { readonly payloadBytes: number; readonly payloadPreview: string };

export interface OperationsView {
  readonly deadLetters: readonly DeadLetterView[];
  readonly consumers: readonly ConsumerLag[];
  readonly services: readonly ServiceGauges[];
}

/** Durable consumers of every stream with their lag, as JetStream counts it. */
export async function consumerLag(messaging: MessagingClient): Promise<ConsumerLag[]> {
  const lags: ConsumerLag[] = [];
  for (const spec of ALL_STREAMS) {
    const stream = messaging.streamName(spec.name);
    let consumers;
    try {
      consumers = await messaging.jsm.consumers.list(stream).next();
    } catch {
      continue; // The stream does not exist (yet).
    }
    for (const info of consumers) {
      if (!info.config.durable_name) continue; // Ordered readers like the console's own.
      lags.push({ stream: spec.name, consumer: info.name, pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered });
    }
  }
  return lags.sort((a, b) => a.stream.localeCompare(b.stream) || a.consumer.localeCompare(b.consumer));
}

export async function deadLetterViews(messaging: MessagingClient, limit = 200): Promise<DeadLetterView[]> {
  const letters = await readDeadLetters(messaging, { limit });
  return letters.map(({ payloadBase64, ...rest }) => {
    const payload = Buffer.from(payloadBase64, 'base64');
    return { ...rest, payloadBytes: payload.length, payloadPreview: payload.subarray(0, 300).toString('utf8') };
  });
}

export function redrive(messaging: MessagingClient, ids: readonly string[], redriveId: string): Promise<number> {
  return redriveDeadLetters(messaging, { ids: [...ids], redriveId, limit: 100_000 });
}

/** Sums the samples of one metric in Prometheus text (all label sets), or null when absent. */
export function metricSum(text: string, metric: string): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(line.trim().split(/\s+/).at(-1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** Outbox, settlement and reconciliation gauges of each service, from its GET /metrics. */
export async function serviceGauges(urls: Record<ServiceName, string>): Promise<ServiceGauges[]> {
  return Promise.all(
    (Object.entries(urls) as [ServiceName, string][]).map(async ([service, url]) => {
      try {
        const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(3_000) });
        const text = await response.text();
        return {
          service,
          reachable: response.ok,
          outboxUnpublished: metricSum(text, 'gridledger_outbox_unpublished_rows'),
          outboxParked: metricSum(text, 'gridledger_outbox_parked_rows'),
          settlementParked: metricSum(text, 'gridledger_settlement_parked_group_periods'),
          reconciliationDrift: metricSum(text, 'gridledger_reconciliation_drift'),
        };
      } catch {
        return { service, reachable: false, outboxUnpublished: null, outboxParked: null, settlementParked: null, reconciliationDrift: null };
      }
    }),
  );
}
