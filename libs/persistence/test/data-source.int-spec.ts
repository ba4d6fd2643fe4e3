import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@gridledger/testing';
import { CreateMessagingTables1764000000000, InboxEntry, MESSAGING_ENTITIES, openDataSource } from '@gridledger/persistence';

jest.setTimeout(60_000);

class CreateThings1764000200000 implements MigrationInterface {
  name = 'CreateThings1764000200000';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE things (id int PRIMARY KEY)`);
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE things`);
  }
}

describe('openDataSource: one schema per service, migrations at start', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db?.drop());

  const open = (schema: string) => openDataSource({ url: db.url, schema, entities: MESSAGING_ENTITIES, migrations: [CreateMessagingTables1764000000000, CreateThings1764000200000] });

  it('creates the schema and runs each migration once, however often the service starts', async () => {
    for (let start = 0; start < 2; start++) {
      const ds = await open('service_a');
      const migrations = await ds.query(`SELECT name FROM service_a.migrations ORDER BY id`);
      expect(migrations.map((m: { name: string }) => m.name)).toEqual(['CreateMessagingTables1764000000000', 'CreateThings1764000200000']);
      await ds.destroy();
    }
  });

  it('lets replicas that start at the same moment on an empty schema migrate once, without failing', async () => {
    const replicas = await Promise.all([open('service_c'), open('service_c'), open('service_c')]);
    try {
      const migrations = await replicas[0].query(`SELECT name FROM service_c.migrations ORDER BY id`);
      expect(migrations.map((m: { name: string }) => m.name)).toEqual(['CreateMessagingTables1764000000000', 'CreateThings1764000200000']);
    } finally {
      await Promise.all(replicas.map((ds) => ds.destroy()));
    }
  });

  it('keeps services apart: unqualified SQL and entities land in the service’s own schema', async () => {
    const a = await open('service_a');
    const b = await open('service_b');
    try {
      await a.query(`INSERT INTO things VALUES (1)`);
      await a.getRepository(InboxEntry).insert({ eventId: 'e1', consumer: 'c', eventType: 't', streamSequence: '1' });
      expect(await b.query(`SELECT * FROM things`)).toEqual([]);
      expect(await b.getRepository(InboxEntry).count()).toBe(0);
      expect(await a.query(`SELECT event_id FROM service_a.inbox`)).toEqual([{ event_id: 'e1' }]);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(openDataSource({ url: db.url, schema: 'a"; drop', entities: [], migrations: [] })).rejects.toThrow(/schema "a"; drop" must match/);
  });
});
