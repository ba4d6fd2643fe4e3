import { PeriodLength, parsePeriodId, periodEndMs } from '@gridledger/domain';
import { Sql } from './sql';

export interface GroupPeriodKey {
  readonly groupId: string;
  readonly periodId: string;
}

export type GroupPeriodStatus = 'open' | 'settled' | 'confirmed';

export function compareKeys(a: GroupPeriodKey, b: GroupPeriodKey): number {
  if (a.periodId !== b.periodId) return a.periodId < b.periodId ? -1 : 1;
  return a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0;
}

/**
 * Creates (open) or touches group-period rows, in key order so concurrent transactions
 * lock them in the same order. The row lock serialises value writes against settlement.
 */
export async function lockGroupPeriods(
  sql: Sql,
  keys: readonly GroupPeriodKey[],
  periodLength: PeriodLength,
  gateDeadlineAfterEndMs: number,
): Promise<Map<string, GroupPeriodStatus>> {
  const unique = [...new Map(keys.map((key) => [`${key.groupId}|${key.periodId}`, key])).values()].sort(compareKeys);
  const statuses = new Map<string, GroupPeriodStatus>();
  for (const key of unique) {
    const start = parsePeriodId(key.periodId, periodLength);
    const deadline = periodEndMs(key.periodId, periodLength) + gateDeadlineAfterEndMs;
    const rows: { status: GroupPeriodStatus }[] = await sql.query(
      `INSERT INTO group_periods (group_id, period_id, period_length, period_start, gate_deadline)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (group_id, period_id) DO UPDATE SET needs_check = group_periods.needs_check
       RETURNING status`,
      [key.groupId, key.periodId, periodLength, new Date(start), new Date(deadline)],
    );
    statuses.set(`${key.groupId}|${key.periodId}`, rows[0].status);
  }
  return statuses;
}

/** Something changed: an open period is checked for completeness, a settled one re-settles. */
export async function markChanged(sql: Sql, key: GroupPeriodKey): Promise<void> {
  await sql.query(
    `UPDATE group_periods SET needs_check = (status = 'open'), dirty = (status <> 'open') OR dirty
     WHERE group_id = $1 AND period_id = $2`,
    [key.groupId, key.periodId],
  );
}
