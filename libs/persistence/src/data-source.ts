import { DataSource, type EntitySchema, type MixedList } from 'typeorm';

// TypeORM's own option types: classes (Function) or glob strings.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityList = MixedList<Function | string | EntitySchema>;
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type MigrationList = MixedList<Function | string>;

export interface DataSourceOptions {
  readonly url: string;
  /** The service's own Postgres schema (e.g. `balancing`); created if missing. */
  readonly schema: string;
  readonly entities: EntityList;
  readonly migrations: MigrationList;
  /** Tests only: build tables from entities instead of migrations. */
  readonly synchronizeForTests?: boolean;
  readonly poolSize?: number;
  readonly logging?: boolean;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A TypeORM DataSource bound to one service schema: entities default to it and the
 * connection's search_path starts with it, so raw SQL and migrations land there too.
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  if (!SCHEMA_NAME.test(options.schema)) throw new RangeError(`schema "${options.schema}" must match ${SCHEMA_NAME}`);
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsRun: false,
    synchronize: options.synchronizeForTests === true,
    logging: options.logging ?? false,
    // bigint columns come back as strings; entities convert them to bigint explicitly.
    extra: { max: options.poolSize ?? 10, options: `-c search_path=${options.schema},public` },
  });
}

/** Creates the schema, initializes the DataSource and runs pending migrations. */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = createDataSource(options);
  await dataSource.initialize();
  try {
    // Replicas start together (a Deployment rolls out several pods at once): one session
    // lock per schema lets one of them create the schema and migrate while the others wait.
    const lock = dataSource.createQueryRunner();
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock(hashtext($1))', [`gridledger-migrations:${options.schema}`]);
      await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
      if (options.synchronizeForTests) await dataSource.synchronize();
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [`gridledger-migrations:${options.schema}`]).catch(() => undefined);
      await lock.release();
    }
  } catch (error) {
    await dataSource.destroy();
    throw error;
  }
  return dataSource;
}

/** Answers whether Postgres responds within the timeout (for readiness). */
export async function pingDatabase(dataSource: DataSource, timeoutMs = 1000): Promise<void> {
  if (!dataSource.isInitialized) throw new Error('database connection not initialized');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([dataSource.query('SELECT 1'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
