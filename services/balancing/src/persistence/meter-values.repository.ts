import { Direction } from '@gridledger/domain';
import { MeterValue, meterKey } from '@gridledger/settlement';
import { Sql, toBigInt } from './sql';
import { GroupPeriodKey } from './group-periods.repository';

export interface IncomingValue {
  readonly meterId: string;
  readonly direction: Direction;
  readonly energyWh: bigint;
  readonly substituted: boolean;
}

interface CurrentRow {
  seq: string;
  meter_id: string;
  direction: Direction;
  energy_wh: string;
  substituted: boolean;
}

/**
 * Records values of one group-period (the caller holds its row lock). The same value again
 * is a no-op; a different one inserts a new row and marks the old one replaced. Returns how
 * many values changed.
 */
export async function recordMeterValues(sql: Sql, key: GroupPeriodKey, values: readonly IncomingValue[], sourceEventId: string): Promise<number> {
  const latest = new Map<string, IncomingValue>();
  for (const value of values) latest.set(meterKey(value), value);
  const incoming = [...latest.values()];
  const current: CurrentRow[] = await sql.query(
    `SELECT seq, meter_id, direction, energy_wh, substituted FROM meter_values
     WHERE group_id = $1 AND period_id = $2 AND replaced_seq IS NULL AND meter_id = ANY($3::text[])`,
    [key.groupId, key.periodId, incoming.map((v) => v.meterId)],
  );
  const currentByKey = new Map(current.map((row) => [meterKey({ meterId: row.meter_id, direction: row.direction }), row]));
  const changed = incoming.filter((value) => {
    const known = currentByKey.get(meterKey(value));
    return !known || known.substituted !== value.substituted || BigInt(known.energy_wh) !== value.energyWh;
  });
  if (changed.length === 0) return 0;

  const seqs: { seq: string }[] = await sql.query(`SELECT nextval('meter_value_seq') AS seq FROM generate_series(1, $1)`, [changed.length]);
  const replacedOld: string[] = [];
  const replacedBy: string[] = [];
  changed.forEach((value, i) => {
    const known = currentByKey.get(meterKey(value));
    if (known) {
      replacedOld.push(known.seq);
      replacedBy.push(seqs[i].seq);
    }
  });
  if (replacedOld.length > 0) {
    await sql.query(`UPDATE meter_values m SET replaced_seq = x.by FROM unnest($1::bigint[], $2::bigint[]) AS x(old, by) WHERE m.seq = x.old`, [replacedOld, replacedBy]);
  }
  await sql.query(
    `INSERT INTO meter_values (seq, group_id, period_id, meter_id, direction, energy_wh, substituted, source_event_id)
     SELECT s, $1, $2, m, d, e, sub, $3 FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::boolean[]) AS x(s, m, d, e, sub)`,
    [
      key.groupId,
      key.periodId,
      sourceEventId,
      seqs.map((s) => s.seq),
      changed.map((v) => v.meterId),
      changed.map((v) => v.direction),
      changed.map((v) => v.energyWh.toString()),
      changed.map((v) => v.substituted),
    ],
  );
  return changed.length;
}

export interface ValueSnapshot {
  readonly values: MeterValue[];
  /** Highest seq among the group-period's rows (0 when none): the version's watermark. */
  readonly watermark: bigint;
}

/** The values a group-period has now (not replaced), for settling a new version. */
export async function currentValues(sql: Sql, key: GroupPeriodKey): Promise<ValueSnapshot> {
  const rows: [string, string, Direction, string, boolean][] = await sql.query(
    {
      text: `SELECT seq, meter_id, direction, energy_wh, substituted FROM meter_values WHERE group_id = $1 AND period_id = $2 AND replaced_seq IS NULL`,
      values: [key.groupId, key.periodId],
      rowMode: 'array',
    } as unknown as string,
  );
  return snapshotOf(rows, await maxSeq(sql, key));
}

/** Exactly the values a settled version saw (by its watermark). */
export async function versionValues(sql: Sql, key: GroupPeriodKey, watermark: bigint): Promise<MeterValue[]> {
  const rows: [string, string, Direction, string, boolean][] = await sql.query(
    {
      text: `SELECT seq, meter_id, direction, energy_wh, substituted FROM meter_values
             WHERE group_id = $1 AND period_id = $2 AND seq <= $3 AND (replaced_seq IS NULL OR replaced_seq > $3)`,
      values: [key.groupId, key.periodId, watermark.toString()],
      rowMode: 'array',
    } as unknown as string,
  );
  return snapshotOf(rows, watermark).values;
}

async function maxSeq(sql: Sql, key: GroupPeriodKey): Promise<bigint> {
  const [row]: { max: string | null }[] = await sql.query(`SELECT max(seq) AS max FROM meter_values WHERE group_id = $1 AND period_id = $2`, [key.groupId, key.periodId]);
  return toBigInt(row.max) ?? 0n;
}

function snapshotOf(rows: [string, string, Direction, string, boolean][], watermark: bigint): ValueSnapshot {
  const values: MeterValue[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [, meterId, direction, energy, substituted] = rows[i];
    values[i] = { meterId, direction, energyWh: BigInt(energy), substituted };
  }
  return { values, watermark };
}
