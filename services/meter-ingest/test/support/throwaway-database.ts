import type { DataSource } from 'typeorm';
import { openDataSource } from '@gridledger/persistence';
import { createTestDatabase } from '@gridledger/testing';
import { MIGRATIONS, SCHEMA } from '../../src/migrations';

/** A fresh, migrated database `t_<random>` for tests that use the pipeline without HTTP. */
export interface ThrowawayDatabase {
  readonly url: string;
  readonly dataSource: DataSource;
  drop(): Promise<void>;
}

export async function createThrowawayDatabase(): Promise<ThrowawayDatabase> {
  const db = await createTestDatabase();
  const dataSource = await openDataSource({ url: db.url, schema: SCHEMA, entities: [], migrations: MIGRATIONS });
  return {
    url: db.url,
    dataSource,
    async drop() {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    },
  };
}
