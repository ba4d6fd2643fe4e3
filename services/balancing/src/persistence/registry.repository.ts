import { Direction } from '@gridledger/domain';
import { Sql } from './sql';

export interface PointVersion {
  readonly meterId: string;
  readonly direction: Direction;
  readonly groupId: string;
  readonly validFrom: string;
  readonly validTo: string | null;
  /** The point's MPO and supplier (address or name), who may read its proofs. */
  readonly mpo: string;
  readonly supplier: string | null;
}

/**
 * Applies registry versions in order: each version is stored by (meter, validFrom), and an
 * earlier open version of the meter is closed where the new one starts. Returns the groups
 * touched, whose open periods must be re-checked for completeness.
 */
export async function applyPointVersions(sql: Sql, versions: readonly PointVersion[]): Promise<Set<string>> {
  const groups = new Set<string>();
  for (const version of versions) {
    const before: { group_id: string }[] = await sql.query(`SELECT DISTINCT group_id FROM meter_points WHERE meter_id = $1`, [version.meterId]);
    before.forEach((row) => groups.add(row.group_id));
    await sql.query(
      `UPDATE meter_points SET valid_to = $2
       WHERE meter_id = $1 AND valid_from < $2 AND (valid_to IS NULL OR valid_to > $2)`,
      [version.meterId, version.validFrom],
    );
    await sql.query(
      `INSERT INTO meter_points (meter_id, valid_from, valid_to, direction, group_id, mpo, supplier) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (meter_id, valid_from) DO UPDATE SET valid_to = EXCLUDED.valid_to, direction = EXCLUDED.direction, group_id = EXCLUDED.group_id, mpo = EXCLUDED.mpo, supplier = EXCLUDED.supplier`,
      [version.meterId, version.validFrom, version.validTo, version.direction, version.groupId, version.mpo, version.supplier],
    );
    groups.add(version.groupId);
  }
  return groups;
}

/**
 * After a registry change: open periods of the touched groups are re-checked, and a group
 * with meters valid in a period that is still being balanced (some group of it open) gets a
 * row there too, whichever of registry and values arrived first.
 */
export async function markOpenPeriodsForCheck(sql: Sql, groups: Iterable<string>): Promise<void> {
  const touched = [...groups];
  await sql.query(
    `INSERT INTO group_periods (group_id, period_id, period_length, period_start, gate_deadline)
     SELECT DISTINCT p.group_id, m.period_id, m.period_length, g.period_start, g.gate_deadline
     FROM market_periods m
     JOIN LATERAL (SELECT period_start, gate_deadline FROM group_periods o WHERE o.period_id = m.period_id AND o.status = 'open' LIMIT 1) g ON true
     JOIN meter_points p ON p.valid_from <= g.period_start AND (p.valid_to IS NULL OR p.valid_to > g.period_start)
     WHERE p.group_id = ANY($1::text[])
     ORDER BY p.group_id, m.period_id
     ON CONFLICT (group_id, period_id) DO NOTHING`,
    [touched],
  );
  await sql.query(`UPDATE group_periods SET needs_check = true WHERE status = 'open' AND group_id = ANY($1::text[])`, [touched]);
}

/**
 * The MPO and supplier of the meter's version in `groupId` valid at the period's start (the
 * version settlement counted, as `expectedMeters` picks it): who may read its proofs there.
 */
export async function meterParties(sql: Sql, meterId: string, groupId: string, periodStart: Date): Promise<{ mpo: string | null; supplier: string | null }[]> {
  return sql.query(
    `SELECT mpo, supplier FROM meter_points
     WHERE meter_id = $1 AND group_id = $2 AND valid_from <= $3 AND (valid_to IS NULL OR valid_to > $3)`,
    [meterId, groupId, periodStart],
  );
}
