import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CursorKey } from '@gridledger/service-kit';

export interface CommitVersionView {
  readonly version: number;
  readonly status: string;
  readonly merkleRoot: string;
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly blockHash: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly confirmedAt: Date | null;
}

export interface AlarmView {
  readonly id: number;
  readonly kind: string;
  readonly groupId: string | null;
  readonly periodId: string | null;
  readonly version: number | null;
  readonly detail: string;
  readonly raisedAt: Date;
}

export interface ReconciliationCommit {
  readonly periodId: string;
  readonly groupId: string;
  readonly version: number;
  readonly merkleRoot: string;
  readonly status: string;
  /** Unix seconds, as the contract keys periods. */
  readonly periodStart: bigint;
}

/** What the bridge did and refused, as the status API shows it (reads only). */
@Injectable()
export class StatusReadRepository {
  /** Every version of a group-period the bridge knows, oldest first (corrections are few). */
  async commitVersions(em: EntityManager, groupId: string, periodId: string): Promise<CommitVersionView[]> {
    const rows = (await em.query(
      `SELECT version, status, merkle_root AS "merkleRoot", tx_hash AS "txHash", block_number AS "blockNumber", block_hash AS "blockHash",
              attempts, last_error AS "lastError", confirmed_at AS "confirmedAt"
       FROM period_commit WHERE group_id = $1 AND period_id = $2 ORDER BY version`,
      [groupId, periodId],
    )) as (Omit<CommitVersionView, 'blockNumber'> & { blockNumber: string | null })[];
    return rows.map((row) => ({ ...row, blockNumber: row.blockNumber === null ? null : Number(row.blockNumber) }));
  }

  /** The latest version per group-period of a range of periods (the reconciler's view). */
  async latestCommits(em: EntityManager, fromPeriod: string, toPeriod: string, limit: number): Promise<ReconciliationCommit[]> {
    const rows = (await em.query(
      `SELECT DISTINCT ON (period_id, group_id) period_id AS "periodId", group_id AS "groupId", version, merkle_root AS "merkleRoot", status, period_start::text AS "periodStart"
       FROM period_commit WHERE period_id >= $1 AND period_id < $2 ORDER BY period_id, group_id, version DESC LIMIT $3`,
      [fromPeriod, toPeriod, limit],
    )) as (Omit<ReconciliationCommit, 'periodStart'> & { periodStart: string })[];
    return rows.map((row) => ({ ...row, periodStart: BigInt(row.periodStart) }));
  }

  /** Alarms, newest first, after a cursor (the last id seen). */
  async alarms(em: EntityManager, after: CursorKey | null, limit: number): Promise<AlarmView[]> {
    const rows = (await em.query(
      `SELECT id, kind, group_id AS "groupId", period_id AS "periodId", version, detail, raised_at AS "raisedAt"
       FROM chain_alarm WHERE $1::bigint IS NULL OR id < $1 ORDER BY id DESC LIMIT $2`,
      [after?.[0] ?? null, limit],
    )) as (Omit<AlarmView, 'id'> & { id: string })[];
    // bigserial comes back as a string; ids stay far below 2^53.
    return rows.map((row) => ({ ...row, id: Number(row.id) }));
  }
}
