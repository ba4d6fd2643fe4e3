import { PeriodLength, parsePeriodId, periodEndMs } from '@gridledger/domain';
import { Sql } from './sql';

export interface GroupPeriodKey {
  readonly groupId: string;
  readonly periodId: string;
}

export type GroupPeriodStatus = 'open' | 'settled' | 'confirmed';

/** A group-period the settlement worker took (its row locked until the transaction ends). */
export interface DueGroupPeriod {
  readonly key: GroupPeriodKey;
  readonly periodLength: PeriodLength;
  readonly periodStart: Date;
  readonly gateDeadline: Date;
  readonly status: GroupPeriodStatus;
  readonly confirmedVersion: number | null;
  readonly traceHeaders: Record<string, string>;
}

/**
 * The next group-period with work: open ones with something new (or past their deadline),
 * settled ones whose inputs changed. FOR UPDATE SKIP LOCKED, so replicas share the list and
 * value writes for the group-period wait until the step commits. A parked group-period is
 * skipped, and one that failed after `retryFailedBefore` waits out its backoff; the fewest
 * failures go first, so one failing row cannot starve the others. An open one past its
 * deadline that asked for a re-send after `resendAgainBefore` waits for the values (a new
 * value or manifest wakes it at once). One whose versions were adopted from the log waits
 * until their values are restored (`AdoptedVersionsRestorer`).
 */
export async function takeDueGroupPeriod(sql: Sql, now: Date, retryFailedBefore: Date = now, resendAgainBefore: Date = now): Promise<DueGroupPeriod | undefined> {
  const rows: {
    group_id: string;
    period_id: string;
    period_length: PeriodLength;
    period_start: Date;
    gate_deadline: Date;
    status: GroupPeriodStatus;
    confirmed_version: number | null;
    trace_headers: Record<string, string>;
  }[] = await sql.query(
    `SELECT group_id, period_id, period_length, period_start, gate_deadline, status, confirmed_version, trace_headers FROM group_periods
     WHERE ((status = 'open' AND (needs_check OR (gate_deadline <= $1 AND (resend_requested_at IS NULL OR resend_requested_at <= $3)))) OR dirty)
       AND parked_at IS NULL AND (last_failed_at IS NULL OR last_failed_at <= $2) AND NOT restore_pending
     ORDER BY failures, period_start, group_id LIMIT 1 FOR UPDATE SKIP LOCKED`,
    [now, retryFailedBefore, resendAgainBefore],
  );
  if (rows.length === 0) return undefined;
  const [row] = rows;
  return {
    key: { groupId: row.group_id, periodId: row.period_id },
    periodLength: row.period_length,
    periodStart: row.period_start,
    gateDeadline: row.gate_deadline,
    status: row.status,
    confirmedVersion: row.confirmed_version,
    traceHeaders: row.trace_headers,
  };
}

/** Clears a group-period's failure record: it settled, or a new input un-parks it. */
export const CLEAR_FAILURES = `failures = 0, last_error = NULL, last_failed_at = NULL, parked_at = NULL`;

/** Longest failure reason kept (the column's check). */
export const MAX_FAILURE_REASON_LENGTH = 500;

export interface RecordedFailure {
  readonly failures: number;
  /** True when this failure parked the group-period (it reached `maxFailures`). */
  readonly parked: boolean;
}

/**
 * Records that settling the group-period threw (in its own transaction, after the failing one
 * rolled back) and parks it at `maxFailures`: the queue skips it until a new input arrives.
 */
export async function recordSettleFailure(sql: Sql, key: GroupPeriodKey, reason: string, now: Date, maxFailures: number): Promise<RecordedFailure | undefined> {
  const bounded = reason.length <= MAX_FAILURE_REASON_LENGTH ? reason : `${reason.slice(0, MAX_FAILURE_REASON_LENGTH - 1)}…`;
  const rows: { failures: number; parked: boolean }[] = await sql.query(
    // A CTE, so the driver hands back the returned rows (a bare UPDATE answers [rows, count]).
    `WITH failed AS (
       UPDATE group_periods SET failures = failures + 1, last_error = $3, last_failed_at = $4,
              parked_at = CASE WHEN parked_at IS NULL AND failures + 1 >= $5 THEN $4 ELSE parked_at END
       WHERE group_id = $1 AND period_id = $2
       RETURNING failures, parked_at IS NOT DISTINCT FROM $4::timestamptz AS parked)
     SELECT failures, parked FROM failed`,
    [key.groupId, key.periodId, bounded, now, maxFailures],
  );
  return rows[0];
}

/** A version was stored: the group-period is settled at it and has nothing pending. */
export async function markSettled(sql: Sql, key: GroupPeriodKey, version: number): Promise<void> {
  await sql.query(
    `UPDATE group_periods SET status = 'settled', latest_version = $3, dirty = false, needs_check = false, ${CLEAR_FAILURES} WHERE group_id = $1 AND period_id = $2`,
    [key.groupId, key.periodId, version],
  );
}

/** Looked at and nothing to store (gate still open, or no change worth a version). */
export async function markChecked(sql: Sql, key: GroupPeriodKey): Promise<void> {
  await sql.query(`UPDATE group_periods SET dirty = false, needs_check = false, ${CLEAR_FAILURES} WHERE group_id = $1 AND period_id = $2`, [key.groupId, key.periodId]);
}

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
  const periods = [...new Set(unique.map((key) => key.periodId))];
  const known: { period_id: string }[] = await sql.query(`SELECT period_id FROM market_periods WHERE period_id = ANY($1::text[])`, [periods]);
  const unseen = periods.filter((periodId) => !known.some((row) => row.period_id === periodId));
  if (unseen.length > 0) await lockMarketPeriods(sql);
  for (const periodId of unseen) await openMarketPeriod(sql, periodId, periodLength, gateDeadlineAfterEndMs);
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

/**
 * Opening a market period reads the registry, and a registry change reads the market
 * periods: without this lock each could miss the other's uncommitted rows and a group would
 * never be opened for the period. Taken first in both transactions, so they cannot deadlock.
 */
export async function lockMarketPeriods(sql: Sql): Promise<void> {
  await sql.query(`SELECT pg_advisory_xact_lock(hashtext('balancing-market-periods'))`);
}

/**
 * The first time balancing sees a period, every group with meters in the registry at its
 * start gets a row too, so a group whose meters all stay silent still reaches its deadline
 * (and is substituted) and the market-wide summary waits for it.
 */
async function openMarketPeriod(sql: Sql, periodId: string, periodLength: PeriodLength, gateDeadlineAfterEndMs: number): Promise<void> {
  const inserted: unknown[] = await sql.query(
    `INSERT INTO market_periods (period_id, period_length) VALUES ($1, $2) ON CONFLICT (period_id) DO NOTHING RETURNING period_id`,
    [periodId, periodLength],
  );
  if (inserted.length === 0) return;
  const start = new Date(parsePeriodId(periodId, periodLength));
  const deadline = new Date(periodEndMs(periodId, periodLength) + gateDeadlineAfterEndMs);
  await sql.query(
    `INSERT INTO group_periods (group_id, period_id, period_length, period_start, gate_deadline)
     SELECT DISTINCT group_id, $1, $2, $3::timestamptz, $4::timestamptz FROM meter_points
     WHERE valid_from <= $3 AND (valid_to IS NULL OR valid_to > $3)
     ORDER BY group_id
     ON CONFLICT (group_id, period_id) DO NOTHING`,
    [periodId, periodLength, start, deadline],
  );
}

/**
 * Something changed: an open period is checked for completeness, a settled one re-settles.
 * `traceHeaders` (the changing batch's trace) is kept so the settlement joins that trace.
 * A new input is also how an operator un-parks a poisoned group-period: its failures reset.
 */
export async function markChanged(sql: Sql, key: GroupPeriodKey, traceHeaders?: Readonly<Record<string, string>>): Promise<void> {
  await sql.query(
    `UPDATE group_periods SET needs_check = (status = 'open'), dirty = (status <> 'open') OR dirty, ${CLEAR_FAILURES},
            trace_headers = COALESCE($3::jsonb, trace_headers)
     WHERE group_id = $1 AND period_id = $2`,
    [key.groupId, key.periodId, traceHeaders === undefined ? null : JSON.stringify(traceHeaders)],
  );
}
