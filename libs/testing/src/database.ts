import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** The rows of one statement, on a connection of its own (a test reading what a service wrote). */
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

const HOST = process.env.TEST_PG_HOST ?? '127.0.0.1';
const PORT = Number(process.env.TEST_PG_PORT ?? 5432);
let adminUser: string | undefined;

/** The local superuser: `postgres` on most installs, `root` where the server runs as root. */
async function detectAdminUser(): Promise<string> {
  if (adminUser) return adminUser;
  const candidates = [process.env.TEST_PG_USER, 'postgres', 'root'].filter((u): u is string => !!u);
  const errors: string[] = [];
  for (const user of candidates) {
    const client = new Client({ host: HOST, port: PORT, user, database: 'postgres' });
    try {
      await client.connect();
      adminUser = user;
      return user;
    } catch (error) {
      errors.push(`${user}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`no Postgres superuser at ${HOST}:${PORT} (${errors.join('; ')})`);
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: HOST, port: PORT, user: await detectAdminUser(), database: 'postgres' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh `t_<random>` database; `drop()` removes it even with connections still open. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const user = await detectAdminUser();
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = `postgres://${user}@${HOST}:${PORT}/${name}`;
  return {
    name,
    url,
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql, [...params])).rows as T[];
      } finally {
        await client.end();
      }
    },
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
