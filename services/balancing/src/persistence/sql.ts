import type { PoolClient } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** Anything that runs SQL: an EntityManager inside a transaction, or the DataSource. */
export type Sql = Pick<EntityManager, 'query'>;

/** Postgres bigint columns come back as decimal strings; energy and money stay bigint. */
export function toBigInt(value: string | number | null): bigint | null {
  if (value === null) return null;
  return BigInt(value);
}

/**
 * The output of `COPY (query) TO STDOUT`, as one Buffer, on the connection `sql` runs on (the
 * transaction's, for an EntityManager inside one). COPY takes no parameters: the caller puts
 * literals into the query with `literal` (the client's escaping).
 */
export async function copyOut(sql: Sql, query: (literal: (value: string) => string) => string): Promise<Buffer> {
  const owned = ownQueryRunner(sql);
  const runner = owned ?? (sql as EntityManager).queryRunner;
  if (!runner) throw new Error('copyOut needs an EntityManager or a DataSource');
  try {
    const client = (await runner.connect()) as PoolClient;
    const chunks: Buffer[] = [];
    for await (const chunk of client.query(copyTo(query((value) => client.escapeLiteral(value))))) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await owned?.release();
  }
}

/** A query runner of our own when `sql` is not bound to one (the DataSource, or its manager). */
function ownQueryRunner(sql: Sql): QueryRunner | undefined {
  if ('createQueryRunner' in sql) return (sql as DataSource).createQueryRunner();
  const manager = sql as EntityManager;
  return manager.queryRunner ? undefined : manager.connection.createQueryRunner();
}
