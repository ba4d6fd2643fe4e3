import { Injectable } from '@nestjs/common';
import type { ValuesDigest } from '@gridledger/domain';
import { Sql } from './sql';
import { GroupPeriodKey } from './group-periods.repository';

export interface StoredManifest extends ValuesDigest {
  readonly revision: number;
}

/** Balancing's count and digest of a group-period's values, and the watermark they were computed at (null: no rows). */
export interface ReceivedAt {
  readonly received: ValuesDigest;
  readonly watermark: string | null;
}

/** The highest seq among a group-period's value rows, current or replaced (an index lookup). */
export function valuesWatermarkSql(groupId: string, periodId: string): string {
  return `SELECT max(seq) AS seq FROM meter_values WHERE group_id = ${groupId} AND period_id = ${periodId}`;
}

/**
 * The count and digest of balancing's own measured values of a group-period, computed in
 * SQL exactly as `valuesDigest` (@gridledger/domain) does: lines `meterId|direction|wh\n`
 * sorted bytewise by meter, then direction; substitutes are not what meter-ingest sent.
 * The group-period is given as SQL expressions (parameters, or a lateral join's columns).
 */
function receivedAggregate(groupId: string, periodId: string): string {
  return `SELECT count(*)::int AS n,
  encode(sha256(convert_to(coalesce(string_agg(meter_id || '|' || direction || '|' || energy_wh::text || E'\\n', '' ORDER BY meter_id COLLATE "C", direction COLLATE "C"), ''), 'UTF8')), 'hex') AS digest
  FROM meter_values WHERE group_id = ${groupId} AND period_id = ${periodId} AND replaced_seq IS NULL AND NOT substituted`;
}

const RECEIVED_SQL = receivedAggregate('$1', '$2');

/**
 * The same aggregate for many group-periods in one statement, each with its values'
 * watermark (highest seq of any of its rows, read in the same snapshot): every change to a
 * group-period's values inserts a row with a new seq there, under the group-period's lock.
 */
const RECEIVED_MANY_SQL = `SELECT k.group_id, k.period_id, r.n, r.digest, w.seq::text AS watermark
  FROM unnest($1::text[], $2::text[]) AS k(group_id, period_id)
  CROSS JOIN LATERAL (${receivedAggregate('k.group_id', 'k.period_id')}) r
  CROSS JOIN LATERAL (${valuesWatermarkSql('k.group_id', 'k.period_id')}) w`;

/** meter-ingest's manifests as balancing received them, and balancing's own side of the comparison. */
@Injectable()
export class IngestManifestsRepository {
  /** Keeps the manifest if it is newer than the one held; returns whether it was. */
  async record(sql: Sql, key: GroupPeriodKey, manifest: StoredManifest, data: unknown, receivedAt: Date): Promise<boolean> {
    const rows: unknown[] = await sql.query(
      `INSERT INTO ingest_manifests (group_id, period_id, revision, value_count, digest, data, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (group_id, period_id) DO UPDATE SET revision = EXCLUDED.revision, value_count = EXCLUDED.value_count,
         digest = EXCLUDED.digest, data = EXCLUDED.data, received_at = EXCLUDED.received_at
       WHERE ingest_manifests.revision < EXCLUDED.revision
       RETURNING revision`,
      [key.groupId, key.periodId, manifest.revision, manifest.count, manifest.digest, JSON.stringify(data), receivedAt],
    );
    return rows.length > 0;
  }

  async latest(sql: Sql, key: GroupPeriodKey): Promise<StoredManifest | null> {
    const rows: { revision: number; value_count: number; digest: string }[] = await sql.query(
      `SELECT revision, value_count, digest FROM ingest_manifests WHERE group_id = $1 AND period_id = $2`,
      [key.groupId, key.periodId],
    );
    return rows[0] ? { revision: rows[0].revision, count: rows[0].value_count, digest: rows[0].digest } : null;
  }

  /** The whole manifest of this revision as received (its MPOs and signed batches), for the version's inputsDigest. */
  async latestData(sql: Sql, key: GroupPeriodKey, revision: number): Promise<unknown> {
    const rows: { data: unknown }[] = await sql.query(`SELECT data FROM ingest_manifests WHERE group_id = $1 AND period_id = $2 AND revision = $3`, [key.groupId, key.periodId, revision]);
    return rows[0]?.data ?? null;
  }

  /** Balancing's own count and digest of the group-period's measured values: one aggregate (the reconciler's side; the settler digests the rows it loaded, measuredValuesDigest). */
  async received(sql: Sql, key: GroupPeriodKey): Promise<ValuesDigest> {
    const [row]: { n: number; digest: string }[] = await sql.query(RECEIVED_SQL, [key.groupId, key.periodId]);
    return { count: row.n, digest: `0x${row.digest}` };
  }

  /** `received` for many group-periods in one query, keyed `groupId|periodId`, with their values' watermark. */
  async receivedMany(sql: Sql, keys: readonly GroupPeriodKey[]): Promise<Map<string, ReceivedAt>> {
    const rows: { group_id: string; period_id: string; n: number; digest: string; watermark: string | null }[] = await sql.query(RECEIVED_MANY_SQL, [
      keys.map((key) => key.groupId),
      keys.map((key) => key.periodId),
    ]);
    return new Map(rows.map((row) => [`${row.group_id}|${row.period_id}`, { received: { count: row.n, digest: `0x${row.digest}` }, watermark: row.watermark }]));
  }

  /** The decider found a mismatch and asked for a re-send: the group-period waits (not settled). */
  async recordResendRequest(sql: Sql, key: GroupPeriodKey, mismatch: unknown, now: Date): Promise<void> {
    await sql.query(
      `UPDATE group_periods SET resend_requested_at = $3, resends = resends + 1, awaiting_since = COALESCE(awaiting_since, $3),
              inputs_mismatch = $4::jsonb, needs_check = false, dirty = false
       WHERE group_id = $1 AND period_id = $2`,
      [key.groupId, key.periodId, now, JSON.stringify(mismatch)],
    );
  }

  /** It settled (or matched): nothing awaited any more. */
  async clearAwaiting(sql: Sql, key: GroupPeriodKey): Promise<void> {
    await sql.query(`UPDATE group_periods SET awaiting_since = NULL, inputs_mismatch = NULL WHERE group_id = $1 AND period_id = $2 AND awaiting_since IS NOT NULL`, [key.groupId, key.periodId]);
  }
}
