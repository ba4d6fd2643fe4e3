import { once } from 'node:events';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { AcceptedInterval } from '@gridledger/metering';

/**
 * The SQL of the intake hot path: values in by COPY (registry-cache.ts has the registry's), through
 * a per-connection staging table, then one INSERT … ON CONFLICT into the keyed table.
 */
const UNIQUE_VIOLATION = '23505';
const INTERVAL_COLUMNS = 'meter_id, period_start, period_minutes, energy_wh, quality, group_id, direction, batch_seq';

export async function nextBatchSeq(client: PoolClient): Promise<string> {
  const { rows } = await client.query<{ seq: string }>(`SELECT nextval('raw_batch_seq')::text AS seq`);
  return rows[0].seq;
}

export interface StoredConflict {
  readonly meterId: string;
  readonly periodStartMs: number;
  readonly energyWh: bigint;
  readonly quality: string;
}

/**
 * Inserts the accepted values; values already stored (by an earlier batch) are left alone
 * and returned so the caller can tell same-content no-ops from conflicts.
 */
export async function insertIntervals(client: PoolClient, values: readonly AcceptedInterval[], periodMinutes: number, batchSeq: string): Promise<StoredConflict[]> {
  if (values.length === 0) return [];
  // COPY BINARY: Postgres takes the timestamps and numbers as they are instead of parsing
  // text (measured: 2.5 ms less backend CPU per 10,000 values, and cheaper to build here).
  const chunks = () => intervalCopyChunks(values, periodMinutes, batchSeq);
  // Fast path: COPY straight into the keyed table. A value stored before makes COPY fail
  // as a whole; then roll back to the savepoint and go through staging with ON CONFLICT.
  await client.query('SAVEPOINT direct_copy');
  try {
    await copyChunks(client, `COPY intervals (${INTERVAL_COLUMNS}) FROM STDIN (FORMAT binary)`, chunks());
    await client.query('RELEASE SAVEPOINT direct_copy');
    return [];
  } catch (error) {
    if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    await client.query('ROLLBACK TO SAVEPOINT direct_copy');
  }
  // Created in this transaction if missing (a rolled-back creation must not be remembered).
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS interval_staging (LIKE intervals) ON COMMIT DELETE ROWS`);
  await copyChunks(client, `COPY interval_staging (${INTERVAL_COLUMNS}) FROM STDIN (FORMAT binary)`, chunks());
  const inserted = await client.query(`INSERT INTO intervals SELECT * FROM interval_staging ON CONFLICT (meter_id, period_start) DO NOTHING`);
  if (inserted.rowCount === values.length) return [];
  const { rows } = await client.query<{ meter_id: string; period_start_ms: number; energy_wh: string; quality: string }>(
    `SELECT i.meter_id, (extract(epoch FROM i.period_start) * 1000)::float8 AS period_start_ms, i.energy_wh::text, i.quality
       FROM interval_staging s JOIN intervals i USING (meter_id, period_start)
      WHERE i.batch_seq <> $1::bigint`,
    [batchSeq],
  );
  return rows.map((row) => ({ meterId: row.meter_id, periodStartMs: row.period_start_ms, energyWh: BigInt(row.energy_wh), quality: row.quality }));
}

/** Streams rows through COPY FROM STDIN as text lines, in chunks of about 64 KiB (copyChunks). */
export function copyRows<T>(client: PoolClient, sql: string, items: readonly T[], line: (item: T) => string): Promise<void> {
  return copyChunks(client, sql, textChunks(items, line));
}

function* textChunks<T>(items: readonly T[], line: (item: T) => string): Generator<string> {
  let chunk = '';
  for (const item of items) {
    chunk += line(item);
    if (chunk.length > 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

/**
 * Streams chunks through COPY FROM STDIN. If the server refuses the COPY midway (a duplicate
 * key), waiting for `drain` ends with the stream's error instead of hanging, and the error
 * is thrown once.
 */
export async function copyChunks(client: PoolClient, sql: string, chunks: Iterable<string | Buffer>): Promise<void> {
  const stream = client.query(copyFrom(sql));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  // Observed below; this keeps an early failure from counting as an unhandled rejection.
  done.catch(() => undefined);
  try {
    for (const chunk of chunks) {
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
    stream.end();
  } catch {
    // once() rejected with the stream's error; `done` carries the same one.
  }
  await done;
}

/** 2000-01-01T00:00:00Z: Postgres' binary timestamps count microseconds from here. */
const PG_EPOCH_MS = 946_684_800_000;
const CHUNK_BYTES = 65_536;
/** Signature, flags (none), header extension length (none). */
const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);

/**
 * The values as COPY BINARY data (INTERVAL_COLUMNS, in order) in chunks of about 64 KiB:
 * header, per row the field count and each field as length + bytes, the -1 trailer.
 */
export function* intervalCopyChunks(values: readonly AcceptedInterval[], periodMinutes: number, batchSeq: string): Generator<Buffer> {
  const seq = BigInt(batchSeq);
  let buffer = Buffer.allocUnsafe(CHUNK_BYTES + 1024);
  let at = BINARY_HEADER.copy(buffer, 0);
  const text = (value: string) => {
    const length = buffer.write(value, at + 4);
    buffer.writeInt32BE(length, at);
    at += 4 + length;
  };
  const int64 = (value: bigint) => {
    buffer.writeInt32BE(8, at);
    buffer.writeBigInt64BE(value, at + 4);
    at += 12;
  };
  let startMs = Number.NaN;
  let high = 0;
  let low = 0;
  for (const v of values) {
    // Texts are at most 3 bytes per UTF-16 unit; fixed fields 62 bytes with their lengths.
    const most = 64 + 3 * (v.meterId.length + v.quality.length + v.groupId.length + v.direction.length);
    if (at + most > buffer.length) {
      yield buffer.subarray(0, at);
      buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, most) + 1024);
      at = 0;
    }
    if (v.periodStartMs !== startMs) {
      // Microseconds since 2000 as two 32-bit halves (exact: well below 2^53).
      startMs = v.periodStartMs;
      const micros = (startMs - PG_EPOCH_MS) * 1000;
      high = Math.floor(micros / 4_294_967_296);
      low = micros - high * 4_294_967_296;
    }
    buffer.writeInt16BE(8, at);
    at += 2;
    text(v.meterId);
    buffer.writeInt32BE(8, at);
    buffer.writeInt32BE(high, at + 4);
    buffer.writeUInt32BE(low, at + 8);
    at += 12;
    buffer.writeInt32BE(2, at);
    buffer.writeInt16BE(periodMinutes, at + 4);
    at += 6;
    int64(v.energyWh);
    text(v.quality);
    text(v.groupId);
    text(v.direction);
    int64(seq);
    if (at >= CHUNK_BYTES) {
      yield buffer.subarray(0, at);
      buffer = Buffer.allocUnsafe(CHUNK_BYTES + 1024);
      at = 0;
    }
  }
  if (at + 2 > buffer.length) {
    yield buffer.subarray(0, at);
    buffer = Buffer.allocUnsafe(2);
    at = 0;
  }
  buffer.writeInt16BE(-1, at);
  yield buffer.subarray(0, at + 2);
}
