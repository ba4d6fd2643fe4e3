import type { PoolClient } from 'pg';
import { OUTBOX_ROWS_PER_INSERT, outboxChannel, outboxInsert, writeOutboxRows, type EnqueuedEvent, type SerializedEvent } from '@gridledger/messaging';
import { batchManifestWrites, type BatchManifest } from '../persistence/manifests.repository';

/** The raw_batches row: the submission as received, with its answer. */
export interface RawBatchRow {
  readonly batchId: string;
  readonly format: string;
  readonly source: string;
  readonly mpo: string;
  readonly signature: string;
  /** JSON text. */
  readonly signedRequest: string;
  readonly body: Buffer | string;
  readonly bodyEncoding: string;
  readonly receivedAt: string;
  /** JSON text. */
  readonly answer: string;
}

export interface BatchClosing {
  readonly schema: string;
  readonly batchSeq: string;
  readonly periodMinutes: number;
  readonly manifests: readonly BatchManifest[];
  readonly events: readonly SerializedEvent[];
  /** Wake the outbox relay on commit. */
  readonly notify: boolean;
  readonly raw: RawBatchRow;
}

/**
 * Everything a batch writes after its values, as one statement (one round trip instead of
 * three): its manifest rows, its outbox rows and its raw_batches row, as data-modifying CTEs,
 * which Postgres runs to completion whether or not the final SELECT reads them. `stored` is
 * false when a concurrent copy of the batch stored its row first (the caller rolls back).
 * A batch with more events than one INSERT holds writes them all first, in statements of
 * their own.
 */
export async function closeBatch(client: PoolClient, closing: BatchClosing): Promise<{ stored: boolean; events: EnqueuedEvent[] }> {
  const { schema, raw } = closing;
  const fitting = closing.events.length <= OUTBOX_ROWS_PER_INSERT;
  const events = fitting ? [] : await writeOutboxRows({ schema, query: async (sql, params) => (await client.query(sql, params)).rows }, closing.events, { notify: false });

  const values: unknown[] = [];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const writes = batchManifestWrites(closing.manifests, closing.periodMinutes, closing.batchSeq, param);
  const outbox = fitting && closing.events.length > 0 ? outboxInsert(schema, closing.events, values.length + 1) : undefined;
  if (outbox) {
    values.push(...outbox.params);
    writes.push(`outbox_rows AS (${outbox.sql})`);
  }
  const row = [raw.batchId, closing.batchSeq, raw.format, raw.source, raw.mpo, raw.signature, raw.signedRequest, raw.body, raw.bodyEncoding, raw.receivedAt, raw.answer].map(param);
  writes.push(`raw AS (
    INSERT INTO raw_batches (batch_id, seq, format, source, mpo, signature, signed_request, body, body_encoding, received_at, answer)
    VALUES (${row.join(', ')}) ON CONFLICT (batch_id) DO NOTHING RETURNING 1)`);
  const positions = outbox ? `ARRAY(SELECT position FROM outbox_rows ORDER BY position::bigint)` : `'{}'::text[]`;
  // Delivered to listeners on commit only, which is exactly when the relay should look.
  const notify = closing.notify && closing.events.length > 0 ? `, pg_notify(${param(outboxChannel(schema))}, '') AS notified` : '';
  const { rows } = await client.query<{ stored: number; positions: string[] }>(`WITH ${writes.join(',\n')}\nSELECT (SELECT count(*) FROM raw)::int AS stored, ${positions} AS positions${notify}`, values);
  return { stored: rows[0].stored === 1, events: outbox ? [...events, ...outbox.enqueued(rows[0].positions)] : events };
}
