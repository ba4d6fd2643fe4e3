import { Injectable } from '@nestjs/common';
import type { CursorKey } from '@gridledger/service-kit';
import type { Sql } from './sql';
import { versionsOf, type StoredVersion } from './versions.repository';

export interface GroupPeriodRow {
  readonly periodId: string;
  readonly periodLength: string;
  readonly status: string;
  readonly latestVersion: number | null;
  readonly confirmedVersion: number | null;
  readonly correctionPending: boolean;
  /** Settlement failures in a row (0 once it settles); parked at BALANCING_SETTLE_MAX_FAILURES. */
  readonly failures: number;
  readonly lastError: string | null;
  /** When the settlement queue parked it (a poison item); null while it is in the queue. */
  readonly parkedAt: Date | null;
}

const ROW_COLUMNS = `period_id AS "periodId", period_length AS "periodLength", status, NULLIF(latest_version, 0) AS "latestVersion",
  confirmed_version AS "confirmedVersion", dirty AS "correctionPending", failures, last_error AS "lastError", parked_at AS "parkedAt"`;

/** A group's periods and their settled versions as the API shows them (reads only). */
@Injectable()
export class GroupPeriodsReadRepository {
  /** The group's periods, newest first, after a cursor (the last period id seen). */
  list(sql: Sql, groupId: string, after: CursorKey | null, limit: number): Promise<GroupPeriodRow[]> {
    return sql.query(
      `SELECT ${ROW_COLUMNS} FROM group_periods WHERE group_id = $1 AND ($2::text IS NULL OR period_id < $2) ORDER BY period_id DESC LIMIT $3`,
      [groupId, after?.[0] ?? null, limit],
    );
  }

  async find(sql: Sql, groupId: string, periodId: string): Promise<GroupPeriodRow | undefined> {
    const [row] = (await sql.query(`SELECT ${ROW_COLUMNS} FROM group_periods WHERE group_id = $1 AND period_id = $2`, [groupId, periodId])) as GroupPeriodRow[];
    return row;
  }

  /** Every settled version of the group-period, oldest first (corrections are few). */
  versions(sql: Sql, groupId: string, periodId: string): Promise<StoredVersion[]> {
    return versionsOf(sql, groupId, periodId);
  }
}
