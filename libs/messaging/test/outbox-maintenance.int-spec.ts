import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { defineEvent } from '@gridledger/events';
import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, openDataSource } from '@gridledger/persistence';
import { connectTestMessaging, createTestDatabase, deleteNamespaceStreams, randomNamespace, waitFor, type TestDatabase } from '@gridledger/testing';
import { enqueueOutboxMany, OutboxRelay, type MessagingClient } from '@gridledger/messaging';

jest.setTimeout(60_000);

const TickCounted = defineEvent({
  type: 'meter.tick.counted',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'tick',
  pastTense: 'counted',
  keyed: true,
  schema: z.object({ n: z.number().int() }),
});

/**
 * The outbox keeps its published rows, each updated once. Where autovacuum is off (as on
 * this project's CI Postgres), the relay's own maintenance is what keeps the drain's counts
 * on the partial indexes instead of scanning every row ever written.
 */
describe('outbox relay maintenance (real Postgres and NATS)', () => {
  let db: TestDatabase;
  const ns = randomNamespace();
  let producerDb: DataSource;
  let messaging: MessagingClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    producerDb = await openDataSource({ url: db.url, schema: 'producer', entities: MESSAGING_ENTITIES, migrations: MESSAGING_MIGRATIONS });
    messaging = await connectTestMessaging({ namespace: ns, name: 'outbox-maintenance-test' });
    await messaging.ensureStreams();
  });

  afterAll(async () => {
    await messaging?.close();
    await producerDb?.destroy();
    await deleteNamespaceStreams(ns);
    await db?.drop();
  });

  const countsPlan = async (): Promise<string> => {
    const rows: { 'QUERY PLAN': string }[] = await producerDb.query(
      `EXPLAIN SELECT (SELECT count(*) FROM producer.outbox WHERE published_at IS NULL AND parked_at IS NULL)::int AS backlog,
                      (SELECT count(*) FROM producer.outbox WHERE parked_at IS NOT NULL AND published_at IS NULL)::int AS parked`,
    );
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  };

  it('vacuums and analyzes the outbox it publishes from, so the drain counts read the unpublished rows only', async () => {
    await producerDb.transaction((em) =>
      enqueueOutboxMany(em, Array.from({ length: 5000 }, (_, n) => ({ definition: TickCounted, envelope: TickCounted.create({ idParts: ['tick', String(n)], occurredAt: '2026-03-29T01:00:00Z', data: { n } }), key: 'g1' }))),
    );
    const relay = new OutboxRelay({ dataSource: producerDb, messaging, pollIntervalMs: 100, maintenanceIntervalMs: 200 });
    await relay.start();
    try {
      await waitFor(async () => {
        const [{ left }]: { left: number }[] = await producerDb.query(`SELECT count(*)::int AS left FROM producer.outbox WHERE published_at IS NULL`);
        return left === 0;
      }, { timeoutMs: 30_000, what: 'every row published' });
      const maintained = await waitFor(
        async () => {
          const [row]: { vacuum_count: string; analyze_count: string; n_dead_tup: string }[] = await producerDb.query(
            `SELECT vacuum_count, analyze_count, n_dead_tup FROM pg_stat_user_tables WHERE schemaname = 'producer' AND relname = 'outbox'`,
          );
          return Number(row.vacuum_count) > 0 && Number(row.analyze_count) > 0 && Number(row.n_dead_tup) === 0 ? row : undefined;
        },
        { timeoutMs: 20_000, what: 'the outbox vacuumed and analyzed after its rows were published' },
      );
      expect(Number(maintained.vacuum_count)).toBeGreaterThan(0);
      const plan = await countsPlan();
      expect(plan).toContain('outbox_parked');
      expect(plan).toContain('outbox_unpublished');
      expect(plan).not.toContain('Seq Scan');
    } finally {
      await relay.stop();
    }
  });
});
