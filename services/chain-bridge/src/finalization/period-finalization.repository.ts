import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Totals } from '../chain/cascade.client';
import { ChainPositionChange, chainPositionAssignments, chainPositionParams } from '../chain/chain-position.sql';

export type FinalizationStatus = 'waiting' | 'submitted' | 'included' | 'confirmed' | 'rejected';

/** A group's latest version as balancing's period summary states it (amounts as decimal strings). */
export interface SummaryGroup {
  readonly groupId: string;
  readonly version: number;
  readonly merkleRoot?: string;
  readonly feedInWh?: string;
  readonly feedOutWh?: string;
  readonly scheduleNetWh?: string;
  readonly imbalanceWh?: string;
}

/** The latest market-wide summary of a period, and where its finalization stands. */
export interface PeriodFinalizationRow {
  readonly periodId: string;
  readonly periodStart: bigint;
  readonly revision: number;
  readonly groups: readonly SummaryGroup[];
  readonly totals: Totals;
  readonly status: FinalizationStatus;
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly blockHash: string | null;
}

interface RawRow {
  period_id: string;
  period_start: string;
  revision: number;
  groups: SummaryGroup[];
  feed_in_wh: string;
  feed_out_wh: string;
  schedule_net_wh: string;
  imbalance_wh: string;
  status: FinalizationStatus;
  tx_hash: string | null;
  block_number: string | null;
  block_hash: string | null;
}

function toRow(raw: RawRow): PeriodFinalizationRow {
  return {
    periodId: raw.period_id,
    periodStart: BigInt(raw.period_start),
    revision: raw.revision,
    groups: raw.groups,
    totals: { feedInWh: BigInt(raw.feed_in_wh), feedOutWh: BigInt(raw.feed_out_wh), scheduleNetWh: BigInt(raw.schedule_net_wh), imbalanceWh: BigInt(raw.imbalance_wh) },
    status: raw.status,
    txHash: raw.tx_hash,
    blockNumber: raw.block_number === null ? null : Number(raw.block_number),
    blockHash: raw.block_hash,
  };
}

export function finalizeSubjectKey(row: Pick<PeriodFinalizationRow, 'periodId' | 'revision'>): string {
  return `finalize|${row.periodId}|${row.revision}`;
}

/** SQL for period_finalization; every write takes the caller's transaction. */
@Injectable()
export class PeriodFinalizationRepository {
  /** Keeps the newest revision of a period's summary; a newer one restarts its finalization. */
  async upsert(em: EntityManager, row: Omit<PeriodFinalizationRow, 'status' | 'txHash' | 'blockNumber' | 'blockHash'>): Promise<void> {
    await em.query(
      `INSERT INTO period_finalization (period_id, period_start, revision, groups, feed_in_wh, feed_out_wh, schedule_net_wh, imbalance_wh, status)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, 'waiting')
       ON CONFLICT (period_id) DO UPDATE SET revision = EXCLUDED.revision, groups = EXCLUDED.groups,
         feed_in_wh = EXCLUDED.feed_in_wh, feed_out_wh = EXCLUDED.feed_out_wh, schedule_net_wh = EXCLUDED.schedule_net_wh,
         imbalance_wh = EXCLUDED.imbalance_wh, status = 'waiting', tx_hash = NULL, block_number = NULL, block_hash = NULL,
         last_error = NULL, next_attempt_at = now(), updated_at = now()
       WHERE period_finalization.revision < EXCLUDED.revision`,
      [
        row.periodId,
        row.periodStart.toString(),
        row.revision,
        JSON.stringify(row.groups),
        row.totals.feedInWh.toString(),
        row.totals.feedOutWh.toString(),
        row.totals.scheduleNetWh.toString(),
        row.totals.imbalanceWh.toString(),
      ],
    );
  }

  async withStatus(em: EntityManager, status: FinalizationStatus, limit: number, dueOnly = false): Promise<PeriodFinalizationRow[]> {
    const rows = (await em.query(
      `SELECT * FROM period_finalization WHERE status = $1 ${dueOnly ? 'AND next_attempt_at <= now()' : ''} ORDER BY period_start LIMIT $2`,
      [status, limit],
    )) as RawRow[];
    return rows.map(toRow);
  }

  /** Where a period's finalization stands (the finalizer's status API). */
  async find(em: EntityManager, periodId: string): Promise<(PeriodFinalizationRow & { lastError: string | null }) | null> {
    const rows = (await em.query(`SELECT * FROM period_finalization WHERE period_id = $1`, [periodId])) as (RawRow & { last_error: string | null })[];
    return rows.length > 0 ? { ...toRow(rows[0]), lastError: rows[0].last_error } : null;
  }

  async update(
    em: EntityManager,
    key: Pick<PeriodFinalizationRow, 'periodId' | 'revision'>,
    change: ChainPositionChange & { status: FinalizationStatus; lastError?: string | null; retryInMs?: number },
  ): Promise<void> {
    await em.query(
      `UPDATE period_finalization SET status = $3,
         ${chainPositionAssignments(4)},
         last_error = $8,
         next_attempt_at = now() + ($9::text || ' milliseconds')::interval,
         updated_at = now()
       WHERE period_id = $1 AND revision = $2`,
      [
        key.periodId,
        key.revision,
        change.status,
        ...chainPositionParams(change),
        change.lastError ?? null,
        String(change.retryInMs ?? 0),
      ],
    );
  }
}
