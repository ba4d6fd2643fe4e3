import { Direction, PeriodLength, WattHours, formatInstant } from '@gridledger/domain';
import { ExpectedMeter, IncomingMeterValue, MEASURED, MeterRows, MeterRowsBuilder, MeterValue, NO_VALUE, SUBSTITUTED, SUBSTITUTE_LOOKBACK_MS, changedValues, meterKey } from '@gridledger/settlement';
import { Sql, copyOut, toBigInt } from './sql';
import { GroupPeriodKey } from './group-periods.repository';

/** A value as it arrives from a meter point operator (substitutes are made by the decider at the gate). */
export type IncomingValue = IncomingMeterValue & { readonly substituted?: false };

interface CurrentRow {
  seq: string;
  meter_id: string;
  direction: Direction;
  energy_wh: string;
  substituted: boolean;
  withdrawn: boolean;
}

/**
 * Records values of one group-period as they arrive (the caller holds its row lock). Which
 * values change the period is the settlement rule `changedValues`; a changed one inserts a
 * new row and marks the old one replaced. Returns how many values changed.
 */
export async function recordMeterValues(sql: Sql, key: GroupPeriodKey, incoming: readonly IncomingValue[], sourceEventId: string, rebooking = false): Promise<number> {
  const rows: CurrentRow[] = await sql.query(
    `SELECT seq, meter_id, direction, energy_wh, substituted, replaced_seq = seq AS withdrawn FROM meter_values
     WHERE group_id = $1 AND period_id = $2 AND (replaced_seq IS NULL OR replaced_seq = seq) AND meter_id = ANY($3::text[])`,
    [key.groupId, key.periodId, [...new Set(incoming.map((v) => v.meterId))]],
  );
  const current = rows.filter((row) => !row.withdrawn);
  const currentByKey = new Map(current.map((row) => [meterKey({ meterId: row.meter_id, direction: row.direction }), row]));
  // A value re-booked out of this group-period (a withdrawal row, below) does not come back
  // with a re-sent measured event; only a re-booking brings a meter back.
  const withdrawn = new Set(rows.filter((row) => row.withdrawn).map((row) => meterKey({ meterId: row.meter_id, direction: row.direction })));
  const values = rebooking || withdrawn.size === 0 ? incoming : incoming.filter((value) => currentByKey.has(meterKey(value)) || !withdrawn.has(meterKey(value)));
  const changed = changedValues(values, (valueKey) => {
    const row = currentByKey.get(valueKey);
    return row && { meterId: row.meter_id, direction: row.direction, energyWh: BigInt(row.energy_wh), substituted: row.substituted };
  });
  await insertMeterValues(
    sql,
    key,
    changed.map((value) => ({ value, replaces: currentByKey.get(meterKey(value))?.seq })),
    sourceEventId,
  );
  return changed.length;
}

/**
 * Appends values (each replacing the current row it names, if any); returns the highest seq
 * written, or null when there was nothing to write.
 */
export async function insertMeterValues(sql: Sql, key: GroupPeriodKey, rows: readonly { value: MeterValue; replaces?: string }[], sourceEventId: string): Promise<bigint | null> {
  if (rows.length === 0) return null;
  const seqs: { seq: string }[] = await sql.query(`SELECT nextval('meter_value_seq') AS seq FROM generate_series(1, $1)`, [rows.length]);
  const replacedOld: string[] = [];
  const replacedBy: string[] = [];
  rows.forEach((row, i) => {
    if (row.replaces === undefined) return;
    replacedOld.push(row.replaces);
    replacedBy.push(seqs[i].seq);
  });
  if (replacedOld.length > 0) {
    // The period names the partition; seq alone would probe every day's index.
    await sql.query(`UPDATE meter_values m SET replaced_seq = x.by FROM unnest($1::bigint[], $2::bigint[]) AS x(old, by) WHERE m.period_id = $3 AND m.seq = x.old`, [replacedOld, replacedBy, key.periodId]);
  }
  await sql.query(
    `INSERT INTO meter_values (seq, group_id, period_id, meter_id, direction, energy_wh, substituted, source_event_id)
     SELECT s, $1, $2, m, d, e, sub, $3 FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::boolean[]) AS x(s, m, d, e, sub)`,
    [
      key.groupId,
      key.periodId,
      sourceEventId,
      seqs.map((s) => s.seq),
      rows.map((r) => r.value.meterId),
      rows.map((r) => r.value.direction),
      rows.map((r) => r.value.energyWh.toString()),
      rows.map((r) => r.value.substituted),
    ],
  );
  return seqs.reduce((max, s) => (BigInt(s.seq) > max ? BigInt(s.seq) : max), 0n);
}

/** A version's group and span, as the registry copy holds it. */
export interface RebookedVersion {
  readonly meterId: string;
  readonly groupId: string;
  readonly validFrom: string;
  readonly validTo: string | null;
}

/**
 * A registry change reaching back (a DSO correction, docs/trust.md) moves the meter's values
 * of the periods it covers out of every other group into the version's group. The old row is
 * replaced by a withdrawal row that replaces itself (replaced_seq = seq): it is never current
 * and in no version, but it advances the old group-period's watermark, so its next version
 * leaves the value out. Measured values move to the new group (substitutes do not: the new
 * group substitutes on its own). The caller holds the locks of rebookedGroupPeriods. Returns
 * the group-periods changed, with the values the new group's take.
 */
/** The group-periods a re-booking of `version` will touch (to lock them first, in key order): where the meter has values in another group, and the version's group there. */
export async function rebookedGroupPeriods(sql: Sql, version: RebookedVersion): Promise<{ key: GroupPeriodKey; periodLength: PeriodLength }[]> {
  const rows: { group_id: string; period_id: string; period_length: PeriodLength }[] = await sql.query(
    `SELECT DISTINCT v.group_id, v.period_id, g.period_length
     FROM meter_values v JOIN group_periods g ON g.group_id = v.group_id AND g.period_id = v.period_id
     WHERE v.meter_id = $1 AND v.period_id >= $2 AND ($3::text IS NULL OR v.period_id < $3) AND v.group_id <> $4 AND v.replaced_seq IS NULL`,
    spanOf(version),
  );
  return rows.flatMap((row) => [
    { key: { groupId: row.group_id, periodId: row.period_id }, periodLength: row.period_length },
    { key: { groupId: version.groupId, periodId: row.period_id }, periodLength: row.period_length },
  ]);
}

function spanOf(version: RebookedVersion): [string, string, string | null, string] {
  return [version.meterId, formatInstant(Date.parse(version.validFrom)), version.validTo === null ? null : formatInstant(Date.parse(version.validTo)), version.groupId];
}

export async function rebookMeterValues(sql: Sql, version: RebookedVersion, sourceEventId: string): Promise<{ key: GroupPeriodKey; periodLength: PeriodLength; values: IncomingValue[] }[]> {
  const rows: { seq: string; group_id: string; period_id: string; period_length: PeriodLength; direction: Direction; energy_wh: string; substituted: boolean }[] = await sql.query(
    `SELECT v.seq, v.group_id, v.period_id, g.period_length, v.direction, v.energy_wh, v.substituted
     FROM meter_values v JOIN group_periods g ON g.group_id = v.group_id AND g.period_id = v.period_id
     WHERE v.meter_id = $1 AND v.period_id >= $2 AND ($3::text IS NULL OR v.period_id < $3) AND v.group_id <> $4 AND v.replaced_seq IS NULL
     ORDER BY v.period_id, v.group_id`,
    spanOf(version),
  );
  if (rows.length === 0) return [];
  const seqs: { seq: string }[] = await sql.query(`SELECT nextval('meter_value_seq')::text AS seq FROM generate_series(1, $1)`, [rows.length]);
  await sql.query(
    `UPDATE meter_values m SET replaced_seq = x.by FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS x(p, old, by) WHERE m.period_id = x.p AND m.seq = x.old`,
    [rows.map((r) => r.period_id), rows.map((r) => r.seq), seqs.map((s) => s.seq)],
  );
  await sql.query(
    `INSERT INTO meter_values (seq, group_id, period_id, meter_id, direction, energy_wh, substituted, source_event_id, replaced_seq)
     SELECT s, g, p, $1, d, e, sub, $2, s FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::boolean[]) AS x(s, g, p, d, e, sub)`,
    [version.meterId, sourceEventId, seqs.map((s) => s.seq), rows.map((r) => r.group_id), rows.map((r) => r.period_id), rows.map((r) => r.direction), rows.map((r) => r.energy_wh), rows.map((r) => r.substituted)],
  );
  const changes = new Map<string, { key: GroupPeriodKey; periodLength: PeriodLength; values: IncomingValue[] }>();
  const touch = (groupId: string, periodId: string, periodLength: PeriodLength) => {
    const id = `${groupId}|${periodId}`;
    const change = changes.get(id) ?? { key: { groupId, periodId }, periodLength, values: [] };
    changes.set(id, change);
    return change;
  };
  for (const row of rows) {
    touch(row.group_id, row.period_id, row.period_length);
    if (!row.substituted) touch(version.groupId, row.period_id, row.period_length).values.push({ meterId: version.meterId, direction: row.direction, energyWh: BigInt(row.energy_wh), substituted: false });
  }
  return [...changes.values()];
}

export interface LoadedMeterRows {
  readonly meters: MeterRows;
  /** Highest seq among the group-period's value rows (0 when none): the next version's watermark. */
  readonly watermark: bigint;
}

/**
 * A group-period's meters as the decider takes them: every meter the registry expects at
 * the period start, joined with the current (not replaced) values, one query, straight into
 * columns. Which meters are missing is the decider's business, not this query's.
 */
export async function loadMeterRows(sql: Sql, key: GroupPeriodKey, periodStart: Date): Promise<LoadedMeterRows> {
  // Three columns a row: direction, expected and kind travel as one small integer (bit 0
  // production, bit 1 expected, bits 2+ the kind). The rows come as COPY's binary format,
  // parsed straight into the columns: a million rows make no row arrays and parse no
  // numbers from text (node-postgres' row parsing was most of the main thread's settling).
  const copied = await copyOut(
    sql,
    (literal) => `COPY (
      SELECT coalesce(v.meter_id, p.meter_id),
             (coalesce(v.direction, p.direction) = 'production')::int + 2 * (p.meter_id IS NOT NULL)::int
               + 4 * (CASE WHEN v.energy_wh IS NULL THEN ${NO_VALUE} WHEN v.substituted THEN ${SUBSTITUTED} ELSE ${MEASURED} END),
             v.energy_wh
      FROM (SELECT meter_id, direction FROM meter_points WHERE group_id = ${literal(key.groupId)} AND valid_from <= ${literal(periodStart.toISOString())}::timestamptz
              AND (valid_to IS NULL OR valid_to > ${literal(periodStart.toISOString())}::timestamptz)) p
      FULL JOIN (SELECT meter_id, direction, energy_wh, substituted FROM meter_values
                 WHERE group_id = ${literal(key.groupId)} AND period_id = ${literal(key.periodId)} AND replaced_seq IS NULL) v
        ON v.meter_id = p.meter_id AND v.direction = p.direction
      -- The manifest's canonical order, so its digest is one pass (measuredValuesDigest).
      ORDER BY coalesce(v.meter_id, p.meter_id) COLLATE "C", coalesce(v.direction, p.direction) COLLATE "C"
    ) TO STDOUT (FORMAT binary)`,
  );
  return { meters: meterRowsOfBinaryCopy(copied), watermark: await maxSeq(sql, key) };
}

/** COPY's binary header: the signature, then the flags and the header extension's length. */
const BINARY_COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * loadMeterRows' rows (meter id text, flags int4, energy int8 or NULL) from COPY's binary
 * format (https://www.postgresql.org/docs/15/sql-copy.html#id-1.9.3.55.9.4).
 */
export function meterRowsOfBinaryCopy(copied: Buffer): MeterRows {
  if (copied.length < 19 || !copied.subarray(0, 11).equals(BINARY_COPY_SIGNATURE)) throw new Error('not COPY binary output');
  let at = 15 + 4 + copied.readInt32BE(15);
  const builder = new MeterRowsBuilder(1024);
  for (;;) {
    const fields = copied.readInt16BE(at);
    at += 2;
    if (fields === -1) break;
    if (fields !== 3) throw new Error(`expected 3 fields a row, got ${fields}`);
    const idBytes = copied.readInt32BE(at);
    const meterId = copied.toString('utf8', at + 4, at + 4 + idBytes);
    at += 4 + idBytes;
    const flags = copied.readInt32BE(at + 4);
    at += 8;
    const energyBytes = copied.readInt32BE(at);
    at += 4;
    const energy = energyBytes === -1 ? 0n : copied.readBigInt64BE(at);
    if (energyBytes !== -1) at += energyBytes;
    builder.push(meterId, (flags & 1) as 0 | 1, (flags & 2) !== 0, flags >> 2, energy);
  }
  return builder.build();
}

/** The substitutes' source: the missing meters' values in the same period of the previous day (same group), by meterKey. */
export async function previousDayValues(sql: Sql, key: GroupPeriodKey, periodStart: Date, missing: readonly ExpectedMeter[]): Promise<Map<string, WattHours>> {
  const previousPeriod = formatInstant(periodStart.getTime() - SUBSTITUTE_LOOKBACK_MS);
  const rows: { meter_id: string; direction: Direction; energy_wh: string }[] = await sql.query(
    `SELECT meter_id, direction, energy_wh FROM meter_values
     WHERE group_id = $1 AND period_id = $2 AND replaced_seq IS NULL AND meter_id = ANY($3::text[])`,
    [key.groupId, previousPeriod, missing.map((m) => m.meterId)],
  );
  return new Map(rows.map((row) => [meterKey({ meterId: row.meter_id, direction: row.direction }), BigInt(row.energy_wh)]));
}

/** Exactly the values a settled version saw (by its watermark). */
export async function versionValues(sql: Sql, key: GroupPeriodKey, watermark: bigint): Promise<MeterValue[]> {
  const rows: [string, Direction, string, boolean][] = await sql.query(
    {
      text: `SELECT meter_id, direction, energy_wh, substituted FROM meter_values
             WHERE group_id = $1 AND period_id = $2 AND seq <= $3 AND (replaced_seq IS NULL OR replaced_seq > $3)`,
      values: [key.groupId, key.periodId, watermark.toString()],
      rowMode: 'array',
    } as unknown as string,
  );
  return rows.map(([meterId, direction, energy, substituted]) => ({ meterId, direction, energyWh: BigInt(energy), substituted }));
}

async function maxSeq(sql: Sql, key: GroupPeriodKey): Promise<bigint> {
  const [row]: { max: string | null }[] = await sql.query(`SELECT max(seq) AS max FROM meter_values WHERE group_id = $1 AND period_id = $2`, [key.groupId, key.periodId]);
  return toBigInt(row.max) ?? 0n;
}
