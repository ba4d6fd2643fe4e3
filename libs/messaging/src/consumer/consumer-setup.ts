import { AckPolicy, DeliverPolicy, nanos, type ConsumerConfig } from 'nats';
import type { RedeliveryPolicy } from '../ack-decision';
import type { MessagingClient } from '../messaging-client';
import { DEFAULT_ACK_WAIT_MS } from './consumer-options';

export interface DurableConsumerSpec {
  readonly name: string;
  readonly config: Partial<ConsumerConfig>;
}

export interface DurableConsumerInput {
  readonly durable: string;
  /** Wire filter subjects (namespaced). */
  readonly filters: readonly string[];
  readonly policy: RedeliveryPolicy;
  readonly batchSize: number;
  readonly ackWaitMs?: number;
  /** The server's version (`nc.info.version`). */
  readonly serverVersion: string | undefined;
}

/**
 * The durable pull consumer(s) one runner needs. Server 2.10+ takes several filters on one
 * consumer; 2.9 needs one consumer per filter (`<durable>_<i>`), sharing the inbox key.
 */
export function durableConsumerSpecs(input: DurableConsumerInput): DurableConsumerSpec[] {
  const base: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    // Bounded at the broker too, so a consumer that crashes mid-batch cannot loop forever.
    max_deliver: input.policy.maxDeliver,
    ack_wait: nanos(input.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
    // Few enough in hand that none waits out ack_wait in our queue behind slow batches.
    max_ack_pending: Math.max(16, input.batchSize * 4),
  };
  const { durable, filters } = input;
  if (filters.length === 1) return [{ name: durable, config: { ...base, durable_name: durable, filter_subject: filters[0] } }];
  if (supportsMultipleFilters(input.serverVersion)) {
    return [{ name: durable, config: { ...base, durable_name: durable, filter_subjects: [...filters] } }];
  }
  return filters.map((filter, index) => ({ name: `${durable}_${index}`, config: { ...base, durable_name: `${durable}_${index}`, filter_subject: filter } }));
}

export function supportsMultipleFilters(version: string | undefined): boolean {
  const [major, minor] = (version ?? '0.0').split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10);
}

/** Creates the consumer, or updates it to the config when it exists. */
export async function upsertConsumer(messaging: MessagingClient, stream: string, spec: DurableConsumerSpec): Promise<void> {
  try {
    await messaging.jsm.consumers.info(stream, spec.name);
  } catch {
    await messaging.jsm.consumers.add(stream, spec.config);
    return;
  }
  await messaging.jsm.consumers.update(stream, spec.name, spec.config);
}
