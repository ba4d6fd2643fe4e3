import type { Attributes } from '@opentelemetry/api';
import { meter } from '@gridledger/telemetry';

/**
 * Gauges read at scrape time from values the consumers and relays refresh themselves, so a
 * scrape never waits on NATS or Postgres.
 */
type Reading = { readonly value: number; readonly attributes: Attributes };
const consumerLag = new Map<object, Reading>();
const outboxBacklog = new Map<object, Reading>();
const outboxParked = new Map<object, Reading>();
let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  meter()
    .createObservableGauge('gridledger_consumer_pending_messages', { description: 'Messages a durable consumer has not acked yet (pending + in flight)' })
    .addCallback((result) => consumerLag.forEach((reading) => result.observe(reading.value, reading.attributes)));
  meter()
    .createObservableGauge('gridledger_outbox_unpublished_rows', { description: 'Outbox rows committed but not yet published' })
    .addCallback((result) => outboxBacklog.forEach((reading) => result.observe(reading.value, reading.attributes)));
  meter()
    .createObservableGauge('gridledger_outbox_parked_rows', { description: 'Outbox rows the relay parked because they cannot be published (alarm when > 0)' })
    .addCallback((result) => outboxParked.forEach((reading) => result.observe(reading.value, reading.attributes)));
}

export function reportConsumerLag(owner: object, value: number, attributes: Attributes): void {
  register();
  consumerLag.set(owner, { value, attributes });
}

export function reportOutboxBacklog(owner: object, value: number, attributes: Attributes): void {
  register();
  outboxBacklog.set(owner, { value, attributes });
}

export function reportOutboxParked(owner: object, value: number, attributes: Attributes): void {
  register();
  outboxParked.set(owner, { value, attributes });
}

export function forgetReadings(owner: object): void {
  consumerLag.delete(owner);
  outboxBacklog.delete(owner);
  outboxParked.delete(owner);
}
