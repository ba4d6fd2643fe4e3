import { Schedule } from '@gridledger/settlement';
import { Sql } from './sql';

/**
 * Stores a schedule; a re-sent one with the same content is a no-op, and one with a lower
 * source version than stored is stale and ignored. Returns whether anything changed.
 */
export async function upsertSchedule(sql: Sql, schedule: Schedule, sourceVersion: number): Promise<boolean> {
  const rows: unknown[] = await sql.query(
    `INSERT INTO schedules (schedule_id, period_id, from_group, to_group, energy_wh, source_version)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (schedule_id) DO UPDATE SET energy_wh = EXCLUDED.energy_wh, from_group = EXCLUDED.from_group,
       to_group = EXCLUDED.to_group, source_version = EXCLUDED.source_version
     WHERE schedules.source_version <= EXCLUDED.source_version
       AND (schedules.energy_wh, schedules.from_group, schedules.to_group) IS DISTINCT FROM (EXCLUDED.energy_wh, EXCLUDED.from_group, EXCLUDED.to_group)
     RETURNING schedule_id`,
    [schedule.scheduleId, schedule.periodId, schedule.fromGroup, schedule.toGroup, schedule.energyWh.toString(), sourceVersion],
  );
  return rows.length > 0;
}

export async function schedulesOf(sql: Sql, groupId: string, periodId: string): Promise<Schedule[]> {
  const rows: { schedule_id: string; period_id: string; from_group: string; to_group: string; energy_wh: string }[] = await sql.query(
    `SELECT schedule_id, period_id, from_group, to_group, energy_wh FROM schedules
     WHERE period_id = $1 AND (from_group = $2 OR to_group = $2) ORDER BY schedule_id`,
    [periodId, groupId],
  );
  return rows.map((row) => ({ scheduleId: row.schedule_id, periodId: row.period_id, fromGroup: row.from_group, toGroup: row.to_group, energyWh: BigInt(row.energy_wh) }));
}

/** How many schedules other than `scheduleId` touch the group in the period. */
export async function otherSchedulesOf(sql: Sql, groupId: string, periodId: string, scheduleId: string): Promise<number> {
  const [{ count }]: { count: string }[] = await sql.query(
    `SELECT count(*) AS count FROM schedules WHERE period_id = $1 AND (from_group = $2 OR to_group = $2) AND schedule_id <> $3`,
    [periodId, groupId, scheduleId],
  );
  return Number(count);
}
