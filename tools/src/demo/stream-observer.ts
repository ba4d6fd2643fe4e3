import { BalancingPeriodClosed, BalancingPeriodSettled, CapacityAllocationComputed, ChainPeriodCommitted, ChainPeriodConfirmed, ChainPeriodFinalized, ChainPeriodRejected, type EventOf } from '@gridledger/events';
import type { MessagingClient } from '@gridledger/messaging';

/**
 * Watches the market's streams the way any participant may: ordered, ephemeral consumers
 * from the start of each stream, no state in any service. The demo learns from it what was
 * settled, allocated, confirmed and finalized, and when.
 */
export interface MarketObservations {
  /** Latest settled version per `${group}|${period}`. */
  readonly settled: Map<string, EventOf<typeof BalancingPeriodSettled>>;
  readonly closed: Map<string, EventOf<typeof BalancingPeriodClosed>>;
  /** The parts of each period's latest allocation version, per period id. */
  readonly allocations: Map<string, { version: number; parts: EventOf<typeof CapacityAllocationComputed>[] }>;
  /** Highest confirmed version per `${group}|${period}`. */
  readonly confirmed: Map<string, EventOf<typeof ChainPeriodConfirmed>>;
  readonly finalized: Map<string, EventOf<typeof ChainPeriodFinalized>>;
  readonly rejected: EventOf<typeof ChainPeriodRejected>[];
  /**
   * When this observer first saw each stage (ms since the epoch), keyed
   * `settled|group|period`, `committed|group|period`, `confirmed|group|period`, `finalized|period`.
   */
  readonly firstSeenAt: Map<string, number>;
  stop(): Promise<void>;
}

export async function observeMarket(messaging: MessagingClient): Promise<MarketObservations> {
  const observations: MarketObservations = {
    settled: new Map(),
    closed: new Map(),
    allocations: new Map(),
    confirmed: new Map(),
    finalized: new Map(),
    rejected: [],
    firstSeenAt: new Map(),
    stop: async () => undefined,
  };
  const stops: (() => void)[] = [];
  const watch = async (stream: string, onEvent: (value: unknown) => void): Promise<void> => {
    const consumer = await messaging.js.consumers.get(messaging.streamName(stream));
    const messages = await consumer.consume();
    stops.push(() => messages.stop());
    void (async () => {
      for await (const message of messages) {
        try {
          onEvent(message.json());
        } catch {
          // Not an event the demo reads (or not one at all): the services dead-letter those.
        }
      }
    })();
  };
  const seen = (key: string): void => {
    if (!observations.firstSeenAt.has(key)) observations.firstSeenAt.set(key, Date.now());
  };
  const typeOf = (value: unknown): string => (typeof value === 'object' && value !== null ? String((value as { type?: unknown }).type) : '');

  await watch('BALANCING', (value) => {
    if (typeOf(value) === BalancingPeriodSettled.type) {
      const event = BalancingPeriodSettled.parse(value);
      const key = `${event.data.groupId}|${event.data.periodId}`;
      seen(`settled|${key}`);
      const known = observations.settled.get(key);
      if (!known || known.data.version < event.data.version) observations.settled.set(key, event);
    } else if (typeOf(value) === BalancingPeriodClosed.type) {
      const event = BalancingPeriodClosed.parse(value);
      observations.closed.set(event.data.periodId, event);
    }
  });
  await watch('CAPACITY', (value) => {
    if (typeOf(value) !== CapacityAllocationComputed.type) return;
    const event = CapacityAllocationComputed.parse(value);
    const known = observations.allocations.get(event.data.periodId);
    if (known && known.version > event.data.version) return;
    if (known && known.version === event.data.version) known.parts.push(event);
    else observations.allocations.set(event.data.periodId, { version: event.data.version, parts: [event] });
  });
  await watch('CHAIN', (value) => {
    const type = typeOf(value);
    if (type === ChainPeriodCommitted.type) {
      const event = ChainPeriodCommitted.parse(value);
      seen(`committed|${event.data.groupId}|${event.data.periodId}`);
    } else if (type === ChainPeriodConfirmed.type) {
      const event = ChainPeriodConfirmed.parse(value);
      const key = `${event.data.groupId}|${event.data.periodId}`;
      seen(`confirmed|${key}`);
      const known = observations.confirmed.get(key);
      if (!known || known.data.version < event.data.version) observations.confirmed.set(key, event);
    } else if (type === ChainPeriodFinalized.type) {
      const event = ChainPeriodFinalized.parse(value);
      seen(`finalized|${event.data.periodId}`);
      const known = observations.finalized.get(event.data.periodId);
      if (!known || known.data.revision < event.data.revision) observations.finalized.set(event.data.periodId, event);
    } else if (type === ChainPeriodRejected.type) {
      observations.rejected.push(ChainPeriodRejected.parse(value));
    }
  });
  return {
    ...observations,
    stop: async () => {
      for (const stop of stops) stop();
    },
  };
}
