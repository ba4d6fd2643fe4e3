import type { EntityManager } from 'typeorm';

/** Appends events to one stream of the append-only store; (stream, version) is unique. */
export async function appendEvents(
  em: EntityManager,
  streamId: string,
  expectedVersion: number,
  events: ReadonlyArray<{ readonly type: string; readonly at: string }>,
): Promise<number> {
  if (events.length === 0) return expectedVersion;
  await em.query(
    `INSERT INTO events (stream_id, stream_version, type, data, occurred_at)
     SELECT $1, v, t, d::jsonb, o::timestamptz FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) AS x(v, t, d, o)`,
    [
      streamId,
      events.map((_, i) => expectedVersion + i + 1),
      events.map((event) => event.type),
      events.map((event) => JSON.stringify(event, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))),
      events.map((event) => event.at),
    ],
  );
  return expectedVersion + events.length;
}
