import type { DataSource } from 'typeorm';

/**
 * VACUUM and ANALYZE of a queue table (rows updated or deleted as they are worked off), run by
 * the service that owns it rather than left to autovacuum: where autovacuum is off or behind
 * (this project's CI Postgres runs with it off), dead rows stay in the heap and in partial
 * indexes, and a table never analysed gets plans that scan it whole, so every pass over the
 * queue costs more as it ages. SKIP_LOCKED: a replica's vacuum under way is not waited for.
 * `columns`: analyse only these (statistics of large payload columns would decompress a sample
 * of them). Where the service's role does not own the table, Postgres skips it with a warning.
 */
export async function vacuumQueueTable(dataSource: DataSource, schema: string, table: string, columns: readonly string[] = []): Promise<void> {
  const listed = columns.length > 0 ? ` (${columns.map((column) => `"${column}"`).join(', ')})` : '';
  await dataSource.query(`VACUUM (ANALYZE, SKIP_LOCKED) "${schema}"."${table}"${listed}`);
}
