import { context } from '@opentelemetry/api';
import type { DataSource, EntityManager } from 'typeorm';
import type { ProcessingOutcome } from '../ack-decision';
import type { InboxTransaction, ReceivedEvent } from './consumer-options';
import type { Delivery } from './delivery';
import { classifyFailure } from './error-classification';

/** Inserts inbox rows for the events; returns the ids that were not there yet (in the caller's transaction). */
export async function claimInInbox(em: EntityManager, schema: string, consumer: string, events: readonly ReceivedEvent[]): Promise<Set<string>> {
  const rows: { event_id: string }[] = await em.query(
    `INSERT INTO "${schema}"."inbox" ("event_id", "consumer", "event_type", "stream_sequence")
     SELECT e, $1, t, s FROM unnest($2::text[], $3::text[], $4::bigint[]) AS x(e, t, s)
     ON CONFLICT DO NOTHING RETURNING "event_id"`,
    [consumer, events.map((e) => e.envelope.id), events.map((e) => e.envelope.type), events.map((e) => String(e.streamSequence))],
  );
  return new Set(rows.map((row) => row.event_id));
}

/** Applies the fresh events of one transaction: one call per event, or one for all of them. */
export type ApplyFresh = (events: readonly ReceivedEvent[], tx: InboxTransaction) => Promise<void>;

export type InboxResult = { readonly ok: true } | { readonly ok: false; readonly outcome: ProcessingOutcome };

/**
 * Inbox rows + handler in ONE transaction. On commit each delivery is marked applied or
 * duplicate (a duplicate is an id already in the inbox, or a second copy in this batch), then
 * the after-commit hooks run (a throw there fails them all: the ack is lost, the inbox absorbs
 * the redelivery). On failure nothing is marked and the classified outcome is returned.
 */
export async function applyInInbox(
  dataSource: DataSource,
  consumer: string,
  deliveries: readonly Delivery[],
  apply: ApplyFresh,
  afterCommit?: (events: readonly ReceivedEvent[]) => void | Promise<void>,
): Promise<InboxResult> {
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  const events = deliveries.map((delivery) => delivery.event as ReceivedEvent);
  const fresh = new Set<Delivery>();
  let hooks: (() => void | Promise<void>)[] = [];
  try {
    await dataSource.transaction(async (em) => {
      hooks = [];
      fresh.clear();
      const inserted = await claimInInbox(em, schema, consumer, events);
      // The same id twice in one batch: the first copy is fresh, later ones are duplicates.
      for (const delivery of deliveries) if (inserted.delete(delivery.event!.envelope.id)) fresh.add(delivery);
      if (fresh.size > 0) await apply([...fresh].map((delivery) => delivery.event!), { em, afterCommit: (hook) => hooks.push(hook) });
    });
  } catch (error) {
    return { ok: false, outcome: classifyFailure(error) };
  }
  for (const delivery of deliveries) delivery.outcome = fresh.has(delivery) ? { kind: 'applied' } : { kind: 'duplicate' };
  try {
    if (afterCommit) await afterCommit(events);
    for (const hook of hooks) await hook();
  } catch (error) {
    const reason = `after commit: ${error instanceof Error ? error.message : String(error)}`;
    for (const delivery of deliveries) delivery.outcome = { kind: 'failed', reason };
  }
  return { ok: true };
}

/** `handle`: each event in its own trace context, in order. */
export function oneByOne(handle: (event: ReceivedEvent, tx: InboxTransaction) => Promise<void>): ApplyFresh {
  return async (events, tx) => {
    for (const event of events) await context.with(event.traceContext, () => handle(event, tx));
  };
}

/**
 * `handleBatch`: all fresh events at once, in the first event's trace, so the work the batch
 * causes continues at least one trace (pass event.traceContext to enqueueOutbox for each own).
 */
export function allAtOnce(handleBatch: (events: readonly ReceivedEvent[], tx: InboxTransaction) => Promise<void>): ApplyFresh {
  return (events, tx) => context.with(events[0].traceContext, () => handleBatch(events, tx));
}
