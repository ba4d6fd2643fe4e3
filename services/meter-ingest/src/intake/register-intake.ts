import type { PoolClient } from 'pg';
import { formatInstant } from '@gridledger/domain';
import {
  rejection,
  splitRegisterReadings,
  versionAt,
  type IntervalValue,
  type RegisterReading,
  type RegisterReadingErrorCode,
  type RegisterSeriesState,
  type RegistryVersion,
  type RegistryView,
  type Rejection,
  type RejectionCode,
} from '@gridledger/metering';
import { copyRows } from './interval-store';
import type { VerifiedSubmission } from './intake.types';

export interface PreparedRegisterReadings {
  /** Whole periods derived from the readings, to be validated like submitted values. */
  readonly intervals: IntervalValue[];
  readonly rejections: Rejection[];
  /** Readings for meters of another MPO: the batch is refused (403). */
  readonly foreign: Rejection[];
  readonly notes: string[];
}

const SPLIT_CODES: Record<RegisterReadingErrorCode, RejectionCode> = {
  MALFORMED_METER_ID: 'MALFORMED_METER_ID',
  MALFORMED_TIMESTAMP: 'MALFORMED_TIMESTAMP',
  MALFORMED_NUMBER: 'MALFORMED_NUMBER',
  REGISTER_BACKWARDS: 'REGISTER_BACKWARDS',
  CONFLICTING_DUPLICATE: 'CONFLICTING_DUPLICATE',
  BEFORE_LAST_KNOWN_READING: 'REGISTER_OUT_OF_ORDER',
};

/**
 * Cumulative register readings → period values. Each reading is first checked against the
 * registry and the clock; the rest go through the register split with the series state
 * stored from earlier batches, so a later reading completes partial periods and fills gaps.
 * Accepted readings and the new series states are written in the batch's transaction.
 */
export async function prepareRegisterReadings(
  client: PoolClient,
  submission: VerifiedSubmission,
  registry: RegistryView,
  nowMs: number,
  batchSeq: string,
): Promise<PreparedRegisterReadings> {
  const rejections: Rejection[] = [];
  const foreign: Rejection[] = [];
  const usable: RegisterReading[] = [];
  for (const reading of submission.readings) {
    const path = `readings[${reading.index}]`;
    const versions = registry.get(reading.meterId);
    if (!versions || versions.length === 0) {
      rejections.push(rejection('UNKNOWN_METER', reading.meterId, `${path}.meterId`, reading.meterId, 'no meter point with this id is registered'));
    } else if (versions[0].mpo !== submission.mpo) {
      foreign.push(rejection('NOT_OPERATED_BY_MPO', reading.meterId, `${path}.meterId`, reading.meterId, `meter is operated by ${versions[0].mpo}, not by the signer ${submission.mpo}`));
    } else if (reading.readAtMs > nowMs) {
      rejections.push(rejection('TIMESTAMP_IN_FUTURE', reading.meterId, `${path}.readAt`, formatInstant(reading.readAtMs), `after the current time ${formatInstant(nowMs)}`));
    } else if (!withinValidity(versions, reading.readAtMs)) {
      rejections.push(rejection('OUTSIDE_VALIDITY', reading.meterId, `${path}.readAt`, formatInstant(reading.readAtMs), "not within the meter's registration"));
    } else usable.push(reading);
  }
  if (foreign.length > 0 || usable.length === 0) return { intervals: [], rejections, foreign, notes: [] };

  const previous = await loadSeries(client, [...new Set(usable.map((r) => r.meterId))]);
  const split = splitRegisterReadings(usable, submission.periodLength, { previous });
  for (const error of split.errors) rejections.push(rejection(SPLIT_CODES[error.code], error.meterId, error.field, error.value, error.reason));
  const refused = new Set(split.errors.map((e) => e.index));
  const accepted = usable.filter((r) => !refused.has(r.index));
  const notes = split.gaps.map(
    (gap) => `gap ${gap.reason} for ${gap.meterId} from ${formatInstant(gap.fromMs)} to ${formatInstant(gap.toMs)}${gap.energyWh === null ? '' : ` holding ${gap.energyWh} Wh`}`,
  );
  const intervals: IntervalValue[] = split.intervals.map((v, i) => ({
    index: i,
    meterId: v.meterId,
    periodId: v.periodId,
    periodStartMs: v.periodStartMs,
    energyWh: v.energyWh,
    quality: v.quality,
    path: `readings(${v.meterId} ${v.periodId})`,
  }));
  await storeReadings(client, accepted, batchSeq);
  await storeSeries(client, split.states);
  return { intervals, rejections, foreign, notes };
}

/** A reading may sit on the end of the last version (the final reading at retirement). */
function withinValidity(versions: readonly RegistryVersion[], atMs: number): boolean {
  if (versionAt(versions, atMs)) return true;
  const last = versions[versions.length - 1];
  return last.validToMs === atMs;
}

async function loadSeries(client: PoolClient, meterIds: readonly string[]): Promise<Map<string, RegisterSeriesState>> {
  const { rows } = await client.query<{ meter_id: string; last_at_ms: string; last_wh: string; anchor_at_ms: string; anchor_wh: string }>(
    `SELECT meter_id, last_at_ms::text, last_wh::text, anchor_at_ms::text, anchor_wh::text FROM register_series WHERE meter_id = ANY(string_to_array($1, ',')) FOR UPDATE`,
    [meterIds.join(',')],
  );
  return new Map(
    rows.map((row) => [
      row.meter_id,
      {
        meterId: row.meter_id,
        lastReading: { atMs: Number(row.last_at_ms), registerWh: BigInt(row.last_wh) },
        anchor: { atMs: Number(row.anchor_at_ms), registerWh: BigInt(row.anchor_wh) },
      },
    ]),
  );
}

async function storeSeries(client: PoolClient, states: readonly RegisterSeriesState[]): Promise<void> {
  if (states.length === 0) return;
  await client.query(
    `INSERT INTO register_series (meter_id, last_at_ms, last_wh, anchor_at_ms, anchor_wh)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
     ON CONFLICT (meter_id) DO UPDATE SET last_at_ms = EXCLUDED.last_at_ms, last_wh = EXCLUDED.last_wh, anchor_at_ms = EXCLUDED.anchor_at_ms, anchor_wh = EXCLUDED.anchor_wh`,
    [
      states.map((s) => s.meterId),
      states.map((s) => String(s.lastReading.atMs)),
      states.map((s) => s.lastReading.registerWh.toString()),
      states.map((s) => String(s.anchor.atMs)),
      states.map((s) => s.anchor.registerWh.toString()),
    ],
  );
}

async function storeReadings(client: PoolClient, readings: readonly RegisterReading[], batchSeq: string): Promise<void> {
  if (readings.length === 0) return;
  // Identical repeats of a stored reading are harmless no-ops for the split; keep the first.
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS reading_staging (LIKE register_readings) ON COMMIT DELETE ROWS`);
  await copyRows(client, 'COPY reading_staging (meter_id, read_at, register_wh, meter_exchange, batch_seq) FROM STDIN', readings, (r) => `${r.meterId}\t${new Date(r.readAtMs).toISOString()}\t${r.registerWh}\t${r.meterExchange ? 't' : 'f'}\t${batchSeq}\n`);
  await client.query(`INSERT INTO register_readings SELECT * FROM reading_staging ON CONFLICT (meter_id, read_at) DO NOTHING`);
}
