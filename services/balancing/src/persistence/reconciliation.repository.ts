import { Injectable } from '@nestjs/common';
import type { AwaitingSide, ExchangeSide, ManifestSide, VersionSide } from '@gridledger/settlement';
import { sameValues } from '@gridledger/domain';
import { IngestManifestsRepository, valuesWatermarkSql, type ReceivedAt } from './ingest-manifests.repository';
import { Sql } from './sql';

/** Group-periods whose count and digest one query computes (bounds each query's work on a cold start). */
const RECEIVED_CHUNK = 200;

/** balancing's side of the reconciliation for a range of periods (period ids sort as text). */
@Injectable()
export class ReconciliationRepository {
  /** Balancing's count and digest of each open candidate at the watermark they were computed at (the last pass's). */
  private received = new Map<string, ReceivedAt>();

  constructor(private readonly ingestManifests = new IngestManifestsRepository()) {}

  async manifests(sql: Sql, fromPeriod: string, toPeriod: string): Promise<ManifestSide[]> {
    const rows: { period_id: string; group_id: string; revision: number; value_count: number; digest: string }[] = await sql.query(
      `SELECT period_id, group_id, revision, value_count, digest FROM ingest_manifests WHERE period_id >= $1 AND period_id < $2`,
      [fromPeriod, toPeriod],
    );
    return rows.map((row) => ({ periodId: row.period_id, groupId: row.group_id, revision: row.revision, count: row.value_count, digest: row.digest }));
  }

  /**
   * Group-periods held back because their values do not match the manifest: those the
   * settler recorded (a mismatch at the gate deadline or on a correction), and open ones whose
   * period has ended and whose values differ from the manifest balancing holds. The latter
   * would otherwise wait for their gate deadline (hours or days away) when a measured event
   * was lost; the reconciler heals them after two passes (in flight is not lost).
   *
   * Proportionate at market scale: one query lists the open candidates with their values'
   * watermark (an index lookup each); balancing's count and digest are recomputed, in one
   * query per chunk, only for those whose watermark moved since the last pass (a group-period
   * whose values did not change has the same count and digest). So a pass over thousands of
   * unchanged group-periods is two queries and no digest work (docs/integrity.md).
   */
  async awaiting(sql: Sql, fromPeriod: string, toPeriod: string, now: Date): Promise<AwaitingSide[]> {
    const rows: { period_id: string; group_id: string; inputs_mismatch: { expected: AwaitingSide['expected']; received: AwaitingSide['received'] } }[] = await sql.query(
      `SELECT period_id, group_id, inputs_mismatch FROM group_periods WHERE awaiting_since IS NOT NULL AND inputs_mismatch IS NOT NULL AND period_id >= $1 AND period_id < $2`,
      [fromPeriod, toPeriod],
    );
    const recorded = rows.map((row) => ({ periodId: row.period_id, groupId: row.group_id, expected: row.inputs_mismatch.expected, received: row.inputs_mismatch.received }));
    const open: { period_id: string; group_id: string; value_count: number; digest: string; watermark: string | null }[] = await sql.query(
      `SELECT g.period_id, g.group_id, m.value_count, m.digest, (${valuesWatermarkSql('g.group_id', 'g.period_id')})::text AS watermark FROM group_periods g
       JOIN ingest_manifests m ON m.group_id = g.group_id AND m.period_id = g.period_id
       WHERE g.status = 'open' AND g.awaiting_since IS NULL AND g.period_id >= $1 AND g.period_id < $2
         AND g.period_start + CASE g.period_length WHEN 'PT60M' THEN interval '1 hour' ELSE interval '15 minutes' END <= $3`,
      [fromPeriod, toPeriod, now],
    );
    const keyOf = (row: { group_id: string; period_id: string }) => `${row.group_id}|${row.period_id}`;
    const changed = open.filter((row) => this.received.get(keyOf(row))?.watermark !== row.watermark);
    const fresh = new Map<string, ReceivedAt>();
    for (let at = 0; at < changed.length; at += RECEIVED_CHUNK) {
      const chunk = changed.slice(at, at + RECEIVED_CHUNK).map((row) => ({ groupId: row.group_id, periodId: row.period_id }));
      for (const [key, value] of await this.ingestManifests.receivedMany(sql, chunk)) fresh.set(key, value);
    }
    const lagging: AwaitingSide[] = [];
    const received = new Map<string, ReceivedAt>();
    for (const row of open) {
      const known = fresh.get(keyOf(row)) ?? this.received.get(keyOf(row));
      if (!known) throw new Error(`reconciliation: no count and digest for ${keyOf(row)}`); // every candidate is fresh or remembered
      received.set(keyOf(row), known);
      const expected = { count: row.value_count, digest: row.digest };
      if (!sameValues(expected, known.received)) lagging.push({ periodId: row.period_id, groupId: row.group_id, expected, received: known.received });
    }
    // Only this pass's candidates are remembered (settled and awaiting ones drop out).
    this.received = received;
    return [...recorded, ...lagging];
  }

  async latestVersions(sql: Sql, fromPeriod: string, toPeriod: string): Promise<VersionSide[]> {
    const rows: { period_id: string; group_id: string; version: number; merkle_root: string }[] = await sql.query(
      `SELECT DISTINCT ON (period_id, group_id) period_id, group_id, version, merkle_root FROM period_versions
       WHERE period_id >= $1 AND period_id < $2 ORDER BY period_id, group_id, version DESC`,
      [fromPeriod, toPeriod],
    );
    return rows.map((row) => ({ periodId: row.period_id, groupId: row.group_id, version: row.version, merkleRoot: row.merkle_root }));
  }

  /** The schedules capacity-market sent (their ids start with `capacity:`). */
  async capacityExchanges(sql: Sql, fromPeriod: string, toPeriod: string): Promise<ExchangeSide[]> {
    const rows: { period_id: string; from_group: string; to_group: string; energy_wh: string }[] = await sql.query(
      `SELECT period_id, from_group, to_group, energy_wh::text FROM schedules WHERE schedule_id LIKE 'capacity:%' AND period_id >= $1 AND period_id < $2`,
      [fromPeriod, toPeriod],
    );
    return rows.map((row) => ({ periodId: row.period_id, fromGroup: row.from_group, toGroup: row.to_group, energyWh: row.energy_wh }));
  }
}
