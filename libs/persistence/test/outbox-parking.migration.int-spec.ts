import { createTestDatabase, type TestDatabase } from '@gridledger/testing';
import { CreateMessagingTables1764000000000, MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, openDataSource } from '@gridledger/persistence';

jest.setTimeout(60_000);

describe('AddOutboxParking: an existing outbox migrates in place', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db?.drop());

  it('adds attempts, parked_at and a bounded park_reason to a table that already has rows, which stay pending', async () => {
    const before = await openDataSource({ url: db.url, schema: 'old_service', entities: MESSAGING_ENTITIES, migrations: [CreateMessagingTables1764000000000] });
    await before.query(`INSERT INTO old_service.outbox (event_id, event_type, subject, payload) VALUES ('e1', 't', 'meter.x', '{}')`);
    await before.destroy();

    const after = await openDataSource({ url: db.url, schema: 'old_service', entities: MESSAGING_ENTITIES, migrations: MESSAGING_MIGRATIONS });
    try {
      expect((await after.query(`SELECT name FROM old_service.migrations ORDER BY id`)).map((m: { name: string }) => m.name)).toEqual(['CreateMessagingTables1764000000000', 'AddOutboxParking1796138400000', 'CreateUsedNonces1796145000000']);
      expect(await after.query(`SELECT event_id, attempts, parked_at, park_reason FROM old_service.outbox`)).toEqual([{ event_id: 'e1', attempts: 0, parked_at: null, park_reason: null }]);
      await expect(after.query(`UPDATE old_service.outbox SET parked_at = now(), park_reason = $1`, ['r'.repeat(501)])).rejects.toThrow(/check constraint/);
    } finally {
      await after.destroy();
    }
  });
});
