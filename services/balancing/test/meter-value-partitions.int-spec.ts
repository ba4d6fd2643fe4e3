import type { DataSource } from 'typeorm';
import { MESSAGING_ENTITIES, openDataSource } from '@gridledger/persistence';
import { createTestDatabase } from '@gridledger/testing';
import { MIGRATIONS, SCHEMA } from '../src/migrations';
import { createMeterValuePartitions } from '../src/persistence/meter-value-partitions';
import { recordMeterValues, versionValues } from '../src/persistence/meter-values.repository';

describe('meter values partitioned by day', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const partitionCounts = async (): Promise<Record<string, number>> => {
    const rows: { partition: string; n: number }[] = await dataSource.query(`SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM meter_values GROUP BY 1 ORDER BY 1`);
    return Object.fromEntries(rows.map((row) => [row.partition.replace(/^.*\./, ''), row.n]));
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openDataSource({ url: database.url, schema: SCHEMA, entities: MESSAGING_ENTITIES, migrations: MIGRATIONS });
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('stores a day in its partition, replaces values across it, and keeps other days in the default one', async () => {
    await createMeterValuePartitions(dataSource, Date.parse('2026-03-29T10:00:00Z'), 2);
    const key = { groupId: 'BG-1', periodId: '2026-03-29T23:45:00Z' };
    await dataSource.transaction((em) => recordMeterValues(em, key, [{ meterId: 'M1', direction: 'consumption', energyWh: 5n }, { meterId: 'M2', direction: 'production', energyWh: 6n }], 'e1'));
    await dataSource.transaction((em) => recordMeterValues(em, key, [{ meterId: 'M1', direction: 'consumption', energyWh: 7n }], 'e2'));
    await dataSource.transaction((em) => recordMeterValues(em, { groupId: 'BG-1', periodId: '2026-04-05T00:00:00Z' }, [{ meterId: 'M1', direction: 'consumption', energyWh: 1n }], 'e3'));
    expect(await partitionCounts()).toEqual({ meter_values_d20260329: 3, meter_values_default: 1 });
    const current = await versionValues(dataSource, key, 1_000n);
    expect(current.map((v) => [v.meterId, v.energyWh])).toEqual(expect.arrayContaining([['M1', 7n], ['M2', 6n]]));
    expect(current).toHaveLength(2);
  });

  it('moves the rows of an unpartitioned table into daily partitions when migrating', async () => {
    // Back to before the partitioning (undoing the migrations that came after it first).
    const after = MIGRATIONS.length - 1 - MIGRATIONS.findIndex((migration) => migration.name === 'PartitionMeterValuesByDay1796145600000');
    for (let undo = 0; undo <= after; undo += 1) await dataSource.undoLastMigration();
    expect(await partitionCounts()).toEqual({ meter_values: 4 });
    await dataSource.runMigrations();
    expect(await partitionCounts()).toEqual({ meter_values_d20260329: 3, meter_values_d20260405: 1 });
  });
});
