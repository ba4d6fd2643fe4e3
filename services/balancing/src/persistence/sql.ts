import type { EntityManager } from 'typeorm';

/** Anything that runs SQL: an EntityManager inside a transaction, or the DataSource. */
export type Sql = Pick<EntityManager, 'query'>;

/** Postgres bigint columns come back as decimal strings; energy and money stay bigint. */
export function toBigInt(value: string | number | null): bigint | null {
  if (value === null) return null;
  return BigInt(value);
}
