import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Totals } from '../chain/cascade.client';
import { ChainPositionChange, chainPositionAssignments, chainPositionParams } from '../chain/chain-position.sql';

export type CommitStatus = 'pending' | 'submitted' | 'included' | 'confirmed' | 'rejected' | 'conflict';

/** One settled (group, period, version) and where it stands on its way to the chain. */
export interface PeriodCommitRow {
  readonly groupId: string;
  readonly periodId: string;
  readonly version: number;
  readonly periodStart: bigint;
  readonly totals: Totals;
  readonly merkleRoot: string;
  readonly meterCount: number;
  /** The manifest digest balancing settled this version on; zero = not attested. */
  readonly inputsDigest: string;
  readonly status: CommitStatus;
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly blockHash: string | null;
  readonly attempts: number;
  readonly receivedAt: Date;
  readonly source: { readonly eventId: string; readonly subject: string; readonly sequence: number; readonly payload: string };
  /** W3C trace context of the settled event (traceparent, tracestate). */
  readonly traceHeaders: Readonly<Record<string, string>>;
}

export type NewPeriodCommit = Omit<PeriodCommitRow, 'status' | 'txHash' | 'blockNumber' | 'blockHash' | 'attempts' | 'receivedAt'>;

interface RawRow {
  group_id: string;
  period_id: string;
  version: number;
  period_start: string;
  feed_in_wh: string;
  feed_out_wh: string;
  schedule_net_wh: string;
  imbalance_wh: string;
  merkle_root: string;
  meter_count: string;
  inputs_digest: string;
  status: CommitStatus;
  tx_hash: string | null;
  block_number: string | null;
  block_hash: string | null;
  attempts: number;
  received_at: Date;
  source_event_id: string;
  source_subject: string;
  source_sequence: string;
  source_payload: string;
  trace_headers: Record<string, string>;
}

function toRow(raw: RawRow): PeriodCommitRow {
  return {
    groupId: raw.group_id,
    periodId: raw.period_id,
    version: raw.version,
    periodStart: BigInt(raw.period_start),
    totals: { feedInWh: BigInt(raw.feed_in_wh), feedOutWh: BigInt(raw.feed_out_wh), scheduleNetWh: BigInt(raw.schedule_net_wh), imbalanceWh: BigInt(raw.imbalance_wh) },
    merkleRoot: raw.merkle_root,
    meterCount: Number(raw.meter_count),
    inputsDigest: raw.inputs_digest,
    status: raw.status,
    txHash: raw.tx_hash,
    blockNumber: raw.block_number === null ? null : Number(raw.block_number),
    blockHash: raw.block_hash,
    attempts: raw.attempts,
    receivedAt: new Date(raw.received_at),
    source: { eventId: raw.source_event_id, subject: raw.source_subject, sequence: Number(raw.source_sequence), payload: raw.source_payload },
    traceHeaders: raw.trace_headers ?? {},
  };
}

export function commitSubjectKey(row: Pick<PeriodCommitRow, 'groupId' | 'periodId' | 'version'>): string {
  return `commit|${row.groupId}|${row.periodId}|${row.version}`;
}

/** SQL for period_commit; every write takes the caller's transaction. */
@Injectable()
export class PeriodCommitRepository {
  /** Inserts a new version; returns the stored root when this version was already there. */
  async insert(em: EntityManager, commit: NewPeriodCommit): Promise<{ inserted: boolean; storedRoot: string }> {
    const rows = (await em.query(
      `INSERT INTO period_commit (group_id, period_id, version, period_start, feed_in_wh, feed_out_wh, schedule_net_wh, imbalance_wh,
         merkle_root, meter_count, source_event_id, source_subject, source_sequence, source_payload, trace_headers, inputs_digest, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb, $16, 'pending')
       ON CONFLICT (group_id, period_id, version) DO NOTHING RETURNING merkle_root`,
      [
        commit.groupId,
        commit.periodId,
        commit.version,
        commit.periodStart.toString(),
        commit.totals.feedInWh.toString(),
        commit.totals.feedOutWh.toString(),
        commit.totals.scheduleNetWh.toString(),
        commit.totals.imbalanceWh.toString(),
        commit.merkleRoot,
        commit.meterCount,
        commit.source.eventId,
        commit.source.subject,
        commit.source.sequence,
        commit.source.payload,
        JSON.stringify(commit.traceHeaders),
        commit.inputsDigest,
      ],
    )) as { merkle_root: string }[];
    if (rows.length > 0) return { inserted: true, storedRoot: commit.merkleRoot };
    const [existing] = (await em.query(`SELECT merkle_root FROM period_commit WHERE group_id = $1 AND period_id = $2 AND version = $3`, [
      commit.groupId,
      commit.periodId,
      commit.version,
    ])) as { merkle_root: string }[];
    return { inserted: false, storedRoot: existing.merkle_root };
  }

  async withStatus(em: EntityManager, status: CommitStatus, limit: number, dueOnly = false): Promise<PeriodCommitRow[]> {
    const rows = (await em.query(
      `SELECT * FROM period_commit WHERE status = $1 ${dueOnly ? 'AND next_attempt_at <= now()' : ''}
       ORDER BY period_start, group_id, version LIMIT $2`,
      [status, limit],
    )) as RawRow[];
    return rows.map(toRow);
  }

  async find(em: EntityManager, groupId: string, periodId: string, version?: number): Promise<PeriodCommitRow | null> {
    const rows = (await em.query(
      version === undefined
        ? `SELECT * FROM period_commit WHERE group_id = $1 AND period_id = $2 ORDER BY version DESC LIMIT 1`
        : `SELECT * FROM period_commit WHERE group_id = $1 AND period_id = $2 AND version = $3`,
      version === undefined ? [groupId, periodId] : [groupId, periodId, version],
    )) as RawRow[];
    return rows.length > 0 ? toRow(rows[0]) : null;
  }

  async forPeriod(em: EntityManager, periodId: string): Promise<PeriodCommitRow[]> {
    return ((await em.query(`SELECT * FROM period_commit WHERE period_id = $1 ORDER BY group_id, version`, [periodId])) as RawRow[]).map(toRow);
  }

  async update(
    em: EntityManager,
    key: Pick<PeriodCommitRow, 'groupId' | 'periodId' | 'version'>,
    change: ChainPositionChange & { status: CommitStatus; lastError?: string | null; retryInMs?: number; countAttempt?: boolean },
  ): Promise<void> {
    await em.query(
      `UPDATE period_commit SET status = $4,
         ${chainPositionAssignments(5)},
         last_error = $9,
         attempts = attempts + $10,
         next_attempt_at = now() + ($11::text || ' milliseconds')::interval,
         confirmed_at = CASE WHEN $4 = 'confirmed' THEN now() ELSE confirmed_at END,
         updated_at = now()
       WHERE group_id = $1 AND period_id = $2 AND version = $3`,
      [
        key.groupId,
        key.periodId,
        key.version,
        change.status,
        ...chainPositionParams(change),
        change.lastError ?? null,
        change.countAttempt ? 1 : 0,
        String(change.retryInMs ?? 0),
      ],
    );
  }
}

export async function raiseAlarm(
  em: EntityManager,
  alarm: { kind: string; groupId?: string; periodId?: string; version?: number; detail: string },
): Promise<void> {
  await em.query(`INSERT INTO chain_alarm (kind, group_id, period_id, version, detail) VALUES ($1, $2, $3, $4, $5)`, [
    alarm.kind,
    alarm.groupId ?? null,
    alarm.periodId ?? null,
    alarm.version ?? null,
    alarm.detail,
  ]);
}
