import type { EntityManager } from 'typeorm';
import { CapacityEvent, Stored, encodeCapacityEvent } from '@gridledger/capacity';
import { CapacitySharesRecorded, type EventData } from '@gridledger/events';
import { enqueueOutboxMany } from '@gridledger/messaging';

/**
 * The append-only event store: the truth of every plant's shares and every holder. One
 * stream per aggregate (`plant:<plantId>`, `holder:<holderId>`), versions 1, 2, … without gaps;
 * (stream_id, stream_version) is unique, so an append that lost a race can never commit.
 */
export const plantStreamId = (plantId: string): string => `plant:${plantId}`;
export const holderStreamId = (holderId: string): string => `holder:${holderId}`;

export interface LoadedStream<E> {
  /** The stream's last version (0 when empty): the version the next append expects. */
  readonly version: number;
  readonly events: readonly E[];
}

/**
 * Takes the stream's lock for this transaction and reads its events. Commands of one stream
 * serialize on the lock (so concurrent transfers of a plant queue instead of failing); the
 * unique version in `appendEvents` stays the guard if anything appends without it.
 */
export async function loadStreamForUpdate<E extends CapacityEvent>(em: EntityManager, streamId: string, decode: (stored: Stored<E>) => E): Promise<LoadedStream<E>> {
  await lockStream(em, streamId);
  const rows: { stream_version: number; data: Stored<E> }[] = await em.query(`SELECT stream_version, data FROM events WHERE stream_id = $1 ORDER BY stream_version`, [streamId]);
  rows.forEach((row, index) => {
    if (row.stream_version !== index + 1) throw new Error(`stream ${streamId} has a gap before version ${row.stream_version}`);
  });
  return { version: rows.length, events: rows.map((row) => decode(row.data)) };
}

/** The stream's lock, held to the end of the transaction (taking it again in it is a no-op wait). */
export async function lockStream(em: EntityManager, streamId: string): Promise<void> {
  await em.query(`SELECT pg_advisory_xact_lock(hashtext('capacity_market.events'), hashtext($1))`, [streamId]);
}

/**
 * Appends events after `expectedVersion`; fails (unique violation) if another append got there
 * first. Each event also goes to the CAPACITY stream (`capacity.shares.recorded`) through the
 * outbox in the same transaction: the stream is the copy a rebuild on an empty database reads.
 */
export async function appendEvents(em: EntityManager, streamId: string, expectedVersion: number, events: readonly CapacityEvent[]): Promise<number> {
  if (events.length === 0) return expectedVersion;
  const records = events.map((event, i) => ({ streamId, streamVersion: expectedVersion + i + 1, event: JSON.parse(encodeCapacityEvent(event)) as RecordedEvent }));
  await insertRecords(em, records);
  await enqueueOutboxMany(
    em,
    records.map((record) => ({
      definition: CapacitySharesRecorded,
      envelope: CapacitySharesRecorded.create({ data: record, idParts: [record.streamId, String(record.streamVersion)], occurredAt: record.event.at }),
    })),
  );
  return expectedVersion + events.length;
}

export type SharesRecord = EventData<typeof CapacitySharesRecorded>;
type RecordedEvent = SharesRecord['event'];

/** Writes records into the store as they are (no outbox): the append above, and a rebuild from the stream. */
export async function insertRecords(em: EntityManager, records: readonly SharesRecord[]): Promise<void> {
  if (records.length === 0) return;
  await em.query(
    `INSERT INTO events (stream_id, stream_version, type, data, occurred_at)
     SELECT s, v, t, d::jsonb, o::timestamptz FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[]) AS x(s, v, t, d, o)`,
    [records.map((r) => r.streamId), records.map((r) => r.streamVersion), records.map((r) => r.event.type), records.map((r) => JSON.stringify(r.event)), records.map((r) => r.event.at)],
  );
}

/** Which of these streams have at least one event. */
export async function existingStreams(em: EntityManager, streamIds: readonly string[]): Promise<Set<string>> {
  const rows: { stream_id: string }[] = await em.query(`SELECT stream_id FROM events WHERE stream_id = ANY($1::text[]) AND stream_version = 1`, [streamIds]);
  return new Set(rows.map((row) => row.stream_id));
}

/** Every stream whose id starts with `prefix`, each with its events in order (a rebuild's input). */
export async function loadStreams<E extends CapacityEvent>(em: EntityManager, prefix: string, decode: (stored: Stored<E>) => E): Promise<Map<string, E[]>> {
  const rows: { stream_id: string; data: Stored<E> }[] = await em.query(
    `SELECT stream_id, data FROM events WHERE starts_with(stream_id, $1) ORDER BY stream_id, stream_version`,
    [prefix],
  );
  const streams = new Map<string, E[]>();
  for (const row of rows) {
    const events = streams.get(row.stream_id) ?? [];
    events.push(decode(row.data));
    streams.set(row.stream_id, events);
  }
  return streams;
}
