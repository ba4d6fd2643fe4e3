import { once } from 'node:events';
import type { PoolClient, QueryResult } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { AcceptedInterval } from '@gridledger/metering';
import type { IntakeAnswer } from './intake.types';

/**
 * The SQL of the intake hot path: values in by COPY (registry-cache.ts has the registry's), straight
 * into the keyed table or, when some were stored before, through a per-connection staging table
 * and one INSERT … ON CONFLICT.
 */
const UNIQUE_VIOLATION = '23505';
const INTERVAL_COLUMNS = 'meter_id, period_start, period_minutes, energy_wh, quality, group_id, direction, batch_seq';

/** What a batch's transaction starts with. */
export interface BatchStart {
  readonly batchSeq: string;
  /** The registry revision the batch is judged against. */
  readonly registryRevision: string;
  /** The answer stored with the same batch before (a replay), else null. */
  readonly storedAnswer: IntakeAnswer | null;
  /** The table the batch's values are copied into: the day's partition when it was asked for and is attached, else `intervals`. */
  readonly copyTarget: string;
}

/** A batch id as intake computes it: 0x and the SHA-256 of the signed content in lowercase hex. */
const BATCH_ID = /^0x[0-9a-f]{64}$/;
/** A day's partition of intervals, as partitionName gives it. */
const PARTITION = /^intervals_d[0-9]{8}$/;

/**
 * Opens the batch's transaction and reads, in the same round trip: its sequence number, the
 * registry's revision (the values are judged against the registry as of it), the answer of an
 * earlier copy of the batch, and generic plans for the rest of the transaction. A custom plan
 * copies every parameter into the plan, which for the megabyte of signed body and of event
 * payloads a batch inserts cost Postgres more than storing them (measured: 14–19 ms against
 * 9–10 ms of backend CPU per insert of 600 kB). The intake's statements are simple inserts
 * and key lookups, whose generic plans are the same. One round trip for two statements needs
 * the simple protocol, which takes no parameters: the batch id goes in as a literal, and only
 * in the one shape intake gives it.
 *
 * `partition`: the day's partition all of the batch's values fall in. The COPY goes straight
 * into it (no routing of each row through the parent: about a tenth of the COPY's backend
 * CPU) only if it is attached and no detach is pending, checked after locking the parent in
 * the mode the COPY would take anyway: a `DETACH … CONCURRENTLY` then waits for this
 * transaction, so values never land in a table that has left `intervals` (docs/partitions.md).
 */
export async function beginBatch(client: PoolClient, batchId: string, partition?: string): Promise<BatchStart> {
  if (!BATCH_ID.test(batchId)) throw new Error(`not a batch id: ${JSON.stringify(batchId.slice(0, 80))}`);
  if (partition !== undefined && !PARTITION.test(partition)) throw new Error(`not a partition of intervals: ${JSON.stringify(partition.slice(0, 80))}`);
  const lock = partition === undefined ? '' : 'LOCK TABLE ONLY intervals IN ROW EXCLUSIVE MODE; ';
  const attached =
    partition === undefined
      ? 'false'
      : `EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass('${partition}') AND inhparent = 'intervals'::regclass AND NOT inhdetachpending)`;
  const results = (await client.query(
    `BEGIN; ${lock}SELECT nextval('raw_batch_seq')::text AS seq, set_config('plan_cache_mode', 'force_generic_plan', true),
            (SELECT revision::text FROM registry_revision) AS revision, (SELECT answer FROM raw_batches WHERE batch_id = '${batchId}') AS answer, ${attached} AS attached`,
  )) as unknown as QueryResult<{ seq: string; revision: string | null; answer: IntakeAnswer | null; attached: boolean }>[];
  const [row] = results[results.length - 1].rows;
  return { batchSeq: row.seq, registryRevision: row.revision ?? '0', storedAnswer: row.answer ?? null, copyTarget: row.attached && partition !== undefined ? partition : 'intervals' };
}

export interface StoredConflict {
  readonly meterId: string;
  readonly periodStartMs: number;
  readonly energyWh: bigint;
  readonly quality: string;
}

/**
 * How a batch's values go in: `copy` straight into the keyed table, which fails whole on a
 * value stored before (the usual batch has none); `staging` through a per-connection table
 * and one INSERT … ON CONFLICT, which keeps what was stored and tells the caller.
 */
export type IntervalInsert = 'copy' | 'staging';

/**
 * The direct COPY met a value stored before: the transaction is aborted. The caller rolls it
 * back and writes the batch again through staging. Cheaper than a savepoint on every batch:
 * a savepoint costs a round trip and makes every row's transaction a subtransaction.
 */
export class ValuesStoredBefore extends Error {
  constructor() {
    super('a value of the batch was stored before; write it again through staging');
  }
}

/**
 * Inserts the accepted values; with `staging`, values already stored (by an earlier batch)
 * are left alone and returned so the caller can tell same-content no-ops from conflicts.
 * With `copy`, `meanwhile` runs once the COPY data is handed to the connection, while
 * Postgres inserts it.
 */
export async function insertIntervals(
  client: PoolClient,
  values: readonly AcceptedInterval[],
  periodMinutes: number,
  batchSeq: string,
  how: IntervalInsert,
  options: { readonly copyTarget?: string; readonly meanwhile?: () => void } = {},
): Promise<StoredConflict[]> {
  if (values.length === 0) return [];
  // COPY BINARY: Postgres takes the timestamps and numbers as they are instead of parsing
  // text (measured: 2.5 ms less backend CPU per 10,000 values, and cheaper to build here).
  const chunks = intervalCopyChunks(values, periodMinutes, batchSeq);
  if (how === 'copy') {
    try {
      // The target is `intervals` or a partition name beginBatch checked.
      await copyChunks(client, `COPY ${options.copyTarget ?? 'intervals'} (${INTERVAL_COLUMNS}) FROM STDIN (FORMAT binary)`, chunks, options.meanwhile);
      return [];
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) throw new ValuesStoredBefore();
      throw error;
    }
  }
  // Created in this transaction if missing (a rolled-back creation must not be remembered).
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS interval_staging (LIKE intervals) ON COMMIT DELETE ROWS`);
  // No `meanwhile` here: a batch comes this way because some values were stored, so work that
  // assumes every value new would be thrown away.
  await copyChunks(client, `COPY interval_staging (${INTERVAL_COLUMNS}) FROM STDIN (FORMAT binary)`, chunks);
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
 * is thrown once. `meanwhile` runs after the last chunk is written, while the server works.
 */
export async function copyChunks(client: PoolClient, sql: string, chunks: Iterable<string | Buffer>, meanwhile?: () => void): Promise<void> {
  const stream = client.query(copyFrom(sql));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  // Observed below; this keeps an early failure from counting as an unhandled rejection.
  done.catch(() => undefined);
  let written = false;
  try {
    for (const chunk of chunks) {
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
    stream.end();
    written = true;
  } catch {
    // once() rejected with the stream's error; `done` carries the same one.
  }
  if (written) meanwhile?.();
  await done;
}

/** 2000-01-01T00:00:00Z: Postgres' binary timestamps count microseconds from here. */
const PG_EPOCH_MS = 946_684_800_000;
/**
 * COPY data goes to the socket in chunks of this size: each is two writes (pg-copy-streams'
 * message header, then the chunk), so 64 KiB chunks cost 32 system calls for a batch of
 * 10,000 values and 256 KiB ones 8.
 */
export const COPY_CHUNK_BYTES = 262_144;
/** Signature, flags (none), header extension length (none). */
const BINARY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);

/**
 * The values as COPY BINARY data (INTERVAL_COLUMNS, in order) in chunks of about COPY_CHUNK_BYTES:
 * header, per row the field count and each field as length + bytes, the -1 trailer. Fields
 * that repeat (period, batch, quality, group, direction) are encoded once and copied; Node's
 * checked Buffer writers cost more than the bytes they write.
 */
export function* intervalCopyChunks(values: readonly AcceptedInterval[], periodMinutes: number, batchSeq: string): Generator<Buffer> {
  const seqField = int64Field(BigInt(batchSeq));
  // The row's last four fields (quality, group, direction, batch) as one run of bytes per
  // combination: a batch has few, and one copy a row costs less than four.
  const tails = new Map<string, Map<string, Map<string, Buffer>>>();
  const tailOf = (quality: string, groupId: string, direction: string): Buffer => {
    let byGroup = tails.get(quality);
    if (byGroup === undefined) tails.set(quality, (byGroup = new Map()));
    let byDirection = byGroup.get(groupId);
    if (byDirection === undefined) byGroup.set(groupId, (byDirection = new Map()));
    let tail = byDirection.get(direction);
    if (tail === undefined) {
      tail = Buffer.concat([textField(quality), textField(groupId), textField(direction), seqField]);
      byDirection.set(direction, tail);
    }
    return tail;
  };
  let buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES + 1024);
  let at = BINARY_HEADER.copy(buffer, 0);
  let startMs = Number.NaN;
  let periodFields = Buffer.alloc(0);
  // An index, not for…of: in a generator the array iterator's results were allocated, one a value.
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    // Texts are at most 3 bytes per UTF-16 unit; fixed fields 62 bytes with their lengths.
    const most = 64 + 3 * (v.meterId.length + v.quality.length + v.groupId.length + v.direction.length);
    if (at + most > buffer.length) {
      yield buffer.subarray(0, at);
      buffer = Buffer.allocUnsafe(Math.max(COPY_CHUNK_BYTES, most) + 1024);
      at = 0;
    }
    if (v.periodStartMs !== startMs) {
      startMs = v.periodStartMs;
      // period_start: microseconds since 2000 (exact: well below 2^53); period_minutes.
      const micros = (startMs - PG_EPOCH_MS) * 1000;
      const high = Math.floor(micros / 4_294_967_296);
      periodFields = Buffer.alloc(18);
      periodFields.writeInt32BE(8, 0);
      periodFields.writeInt32BE(high, 4);
      periodFields.writeUInt32BE(micros - high * 4_294_967_296, 8);
      periodFields.writeInt32BE(2, 12);
      periodFields.writeInt16BE(periodMinutes, 16);
    }
    buffer[at] = 0;
    buffer[at + 1] = 8;
    // Meter ids are ASCII by the domain's rule: Latin-1 writes the same bytes without encoding.
    const length = buffer.write(v.meterId, at + 6, 'latin1');
    buffer[at + 2] = 0;
    buffer[at + 3] = 0;
    buffer[at + 4] = length >> 8;
    buffer[at + 5] = length & 0xff;
    at += 6 + length;
    buffer.set(periodFields, at);
    at += 18;
    buffer.set(INT64_LENGTH, at);
    const wh = Number(v.energyWh);
    if (wh >= 0 && wh <= 0xffffffff) {
      // The usual value fits the low 32 bits: written byte by byte.
      buffer[at + 4] = buffer[at + 5] = buffer[at + 6] = buffer[at + 7] = 0;
      buffer[at + 8] = wh >>> 24;
      buffer[at + 9] = (wh >>> 16) & 0xff;
      buffer[at + 10] = (wh >>> 8) & 0xff;
      buffer[at + 11] = wh & 0xff;
    } else buffer.writeBigInt64BE(v.energyWh, at + 4);
    at += 12;
    at = put(buffer, at, tailOf(v.quality, v.groupId, v.direction));
    if (at >= COPY_CHUNK_BYTES) {
      yield buffer.subarray(0, at);
      buffer = Buffer.allocUnsafe(COPY_CHUNK_BYTES + 1024);
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

/** A text field: its length, then its UTF-8 bytes. */
function textField(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  return Buffer.concat([int32(bytes.length), bytes]);
}

const INT64_LENGTH = int32(8);

/** Copies `bytes` into `buffer` at `at`; returns the position after them. */
function put(buffer: Buffer, at: number, bytes: Buffer): number {
  buffer.set(bytes, at);
  return at + bytes.length;
}

function int32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(value, 0);
  return bytes;
}

function int64Field(value: bigint): Buffer {
  const field = Buffer.alloc(12);
  field.writeInt32BE(8, 0);
  field.writeBigInt64BE(value, 4);
  return field;
}
