import { Sql } from './sql';

const DAY_MS = 86_400_000;

/**
 * Daily partitions of `meter_values` (migration PartitionMeterValuesByDay; docs/partitions.md),
 * created ahead: today and the next days, by the settlement worker at start and every few
 * hours, each in its own statement (never inside a consumer's transaction: creating a
 * partition locks the parent). Values of a day without a partition land in
 * `meter_values_default`.
 */
export async function createMeterValuePartitions(sql: Sql, fromMs: number, days: number): Promise<void> {
  const first = Math.floor(fromMs / DAY_MS) * DAY_MS;
  for (let day = 0; day < days; day += 1) {
    const start = new Date(first + day * DAY_MS).toISOString().replace('.000Z', 'Z');
    const end = new Date(first + (day + 1) * DAY_MS).toISOString().replace('.000Z', 'Z');
    const name = `meter_values_d${start.slice(0, 10).replaceAll('-', '')}`;
    try {
      await sql.query(`CREATE TABLE IF NOT EXISTS ${name} PARTITION OF meter_values FOR VALUES FROM ('${start}') TO ('${end}')`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // Another replica at the same moment (42P07, 23505), or the default partition already holds that day (23514).
      if (code !== '42P07' && code !== '23505' && code !== '23514') throw error;
    }
  }
}
