import { Client, type PoolClient } from 'pg';
import { outboxChannel } from '@gridledger/messaging';
import { closeBatch, type BatchClosing, type RawBatchRow } from '../src/intake/batch-closing';
import type { BatchManifest } from '../src/persistence/manifests.repository';
import { SCHEMA } from '../src/migrations';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/throwaway-database';

const raw = (batchId: string): RawBatchRow => ({
  batchId,
  format: 'json',
  source: 'http',
  mpo: '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4',
  signature: '0x01',
  signedRequest: '{"method":"POST"}',
  // The signed bytes as received, quotes and backslashes included.
  body: Buffer.from('{"intervals":[],"note":"a \\"quoted\\" \\\\ text"}', 'utf8'),
  bodyEncoding: 'utf-8',
  receivedAt: '2026-03-30T00:00:00.000Z',
  answer: '{"status":"accepted"}',
});

const manifests: BatchManifest[] = [
  { groupId: 'BG-A', periodId: '2026-03-29T10:00:00Z', periodStartMs: Date.parse('2026-03-29T10:00:00Z'), count: 3, digest: `0x${'a'.repeat(64)}` },
  { groupId: 'BG-B', periodId: '2026-03-29T10:00:00Z', periodStartMs: Date.parse('2026-03-29T10:00:00Z'), count: 1, digest: `0x${'b'.repeat(64)}` },
];

const events = Array.from({ length: 3 }, (_, n) => ({ id: `event-${n}`, type: 'meter.intervals.measured', subject: `meter.intervals.measured.BG-${n}`, payload: `{"n":${n}}` }));

/** The closing statement against real Postgres: what one round trip writes, and a lost race. */
describe('closeBatch', () => {
  let db: ThrowawayDatabase;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
  });
  afterAll(() => db.drop());

  /** `closing` in a transaction of its own, committed unless the batch was stored before. */
  async function closeInTransaction(closing: Omit<BatchClosing, 'schema'>) {
    const runner = db.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await client.query('BEGIN');
      const closed = await closeBatch(client, { schema: SCHEMA, ...closing });
      await client.query(closed.stored ? 'COMMIT' : 'ROLLBACK');
      return closed;
    } finally {
      await runner.release();
    }
  }

  it('writes the manifest rows, the outbox rows in the events’ order and the raw batch, and wakes the relay on commit', async () => {
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    const woken = new Promise<string>((resolve) => listener.on('notification', (message) => resolve(message.channel)));
    await listener.query(`LISTEN "${outboxChannel(SCHEMA)}"`);
    try {
      const closed = await closeInTransaction({ batchSeq: '41', periodMinutes: 15, manifests, events, notify: true, raw: raw('0xfirst') });
      expect(closed.stored).toBe(true);
      expect(closed.events.map((event) => event.id)).toEqual(['event-0', 'event-1', 'event-2']);
      const positions = closed.events.map((event) => Number(event.position));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
      await expect(woken).resolves.toBe(outboxChannel(SCHEMA));
    } finally {
      await listener.end();
    }

    const outbox: { position: string; event_id: string; payload: string }[] = await db.dataSource.query(`SELECT position::text, event_id, payload FROM outbox ORDER BY position`);
    expect(outbox.map((row) => [row.event_id, row.payload])).toEqual(events.map((event) => [event.id, event.payload]));
    const batches: { group_id: string; value_count: number; digest: string; batch_seq: string }[] = await db.dataSource.query(
      `SELECT group_id, value_count, digest, batch_seq::text FROM manifest_batches ORDER BY group_id`,
    );
    expect(batches).toEqual([
      { group_id: 'BG-A', value_count: 3, digest: 'a'.repeat(64), batch_seq: '41' },
      { group_id: 'BG-B', value_count: 1, digest: 'b'.repeat(64), batch_seq: '41' },
    ]);
    const dirty: { group_id: string; period_minutes: number }[] = await db.dataSource.query(`SELECT group_id, period_minutes FROM manifest_dirty WHERE batch_seq = 41 ORDER BY group_id`);
    expect(dirty).toEqual([
      { group_id: 'BG-A', period_minutes: 15 },
      { group_id: 'BG-B', period_minutes: 15 },
    ]);
    const [stored]: { body: string; seq: string; answer: unknown }[] = await db.dataSource.query(`SELECT body, seq::text, answer FROM raw_batches WHERE batch_id = '0xfirst'`);
    expect(stored).toEqual({ body: raw('0xfirst').body.toString('utf8'), seq: '41', answer: { status: 'accepted' } });
  });

  it('answers stored: false when the batch id is stored already (a concurrent copy won), leaving the stored row as it was', async () => {
    const closed = await closeInTransaction({ batchSeq: '42', periodMinutes: 15, manifests: [], events, notify: false, raw: { ...raw('0xfirst'), answer: '{"status":"other"}' } });
    expect(closed.stored).toBe(false);
    const rows: { seq: string; answer: unknown }[] = await db.dataSource.query(`SELECT seq::text, answer FROM raw_batches WHERE batch_id = '0xfirst'`);
    expect(rows).toEqual([{ seq: '41', answer: { status: 'accepted' } }]);
    const [{ count }]: { count: number }[] = await db.dataSource.query(`SELECT count(*)::int AS count FROM outbox`);
    expect(count).toBe(events.length);
  });

  it('closes a batch with neither values nor events (every value refused and no rejection event) with its raw row alone', async () => {
    const closed = await closeInTransaction({ batchSeq: '43', periodMinutes: 15, manifests: [], events: [], notify: true, raw: raw('0xempty') });
    expect(closed).toEqual({ stored: true, events: [] });
    const [{ count }]: { count: number }[] = await db.dataSource.query(`SELECT count(*)::int AS count FROM raw_batches WHERE batch_id = '0xempty'`);
    expect(count).toBe(1);
  });
});
