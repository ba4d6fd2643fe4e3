import type { EntityManager } from 'typeorm';
import { PeriodLength, parsePeriodId, periodLengthMs } from '@gridledger/domain';

/** Creates the periods' rows or marks them dirty: the worker (re)computes dirty, ended periods. */
export async function markPeriodsDirty(em: EntityManager, periodIds: readonly string[], periodLength: PeriodLength): Promise<void> {
  if (periodIds.length === 0) return;
  const sorted = [...periodIds].sort();
  const starts = sorted.map((id) => parsePeriodId(id, periodLength));
  await em.query(
    `INSERT INTO periods (period_id, period_length, period_start, period_end, dirty)
     SELECT p, $2, s::timestamptz, e::timestamptz, true FROM unnest($1::text[], $3::text[], $4::text[]) AS x(p, s, e)
     ON CONFLICT (period_id) DO UPDATE SET dirty = true`,
    [sorted, periodLength, starts.map((s) => new Date(s).toISOString()), starts.map((s) => new Date(s + periodLengthMs(periodLength)).toISOString())],
  );
}

/** Bad input is recorded with the field and the reason; it never stops the consumer. */
export async function recordRejection(em: EntityManager, source: string, field: string, reason: string, input: string): Promise<void> {
  await em.query(`INSERT INTO rejected_inputs (source, field, reason, input) VALUES ($1, $2, $3, $4)`, [source, field, reason, input.slice(0, 2000)]);
}
