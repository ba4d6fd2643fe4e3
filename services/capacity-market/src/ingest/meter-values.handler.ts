import type { EntityManager } from 'typeorm';
import { EventOf, MeterIntervalsMeasured, measuredValuesOf } from '@gridledger/events';
import { ReceivedEvent } from '@gridledger/messaging';
import { PeriodLength, parsePeriodId } from '@gridledger/domain';
import { markPeriodsDirty, recordRejection } from '../persistence/periods.repository';

/** The allocation engine computes exactly below 2^53 Wh per period; no real meter comes near it. */
const MAX_PERIOD_WH = BigInt(Number.MAX_SAFE_INTEGER);

type IntervalsEvent = ReceivedEvent<EventOf<typeof MeterIntervalsMeasured>>;

/**
 * Keeps the values of the meters this market knows (plant production meters, holder
 * consumption meters) and ignores the rest, which belong to other services. A new or changed
 * value marks its period dirty, so it is computed, or recomputed as a new version.
 */
export async function applyMeterIntervals(em: EntityManager, events: readonly IntervalsEvent[], periodLength: PeriodLength): Promise<void> {
  for (const event of events) {
    const data = event.envelope.data;
    if (data.periodLength !== periodLength) {
      await recordRejection(em, event.subject, 'periodLength', `this market settles ${periodLength} periods, not ${data.periodLength}`, event.envelope.id);
      continue;
    }
    const meterIds = [...new Set(data.series.flatMap((series) => series.meterIds))];
    const known: { meter_id: string; direction: string }[] = await em.query(
      `SELECT meter_id, 'production' AS direction FROM plants WHERE meter_id = ANY($1::text[])
       UNION ALL SELECT consumption_meter_id, 'consumption' FROM holders WHERE consumption_meter_id = ANY($1::text[])`,
      [meterIds],
    );
    if (known.length === 0) continue;
    const directionOf = new Map(known.map((k) => [k.meter_id, k.direction]));
    // Last value per (period, meter) within the batch wins.
    const values = new Map<string, { meterId: string; periodId: string; energyWh: string }>();
    for (const interval of measuredValuesOf(data)) {
      const expected = directionOf.get(interval.meterId);
      if (expected === undefined) continue;
      if (expected !== interval.direction) {
        await recordRejection(em, event.subject, `${interval.at}.direction`, `meter ${interval.meterId} is a ${expected} meter here, not ${interval.direction}`, event.envelope.id);
        continue;
      }
      try {
        parsePeriodId(interval.periodId, periodLength);
      } catch (error) {
        await recordRejection(em, event.subject, `${interval.at}.periodId`, error instanceof Error ? error.message : String(error), event.envelope.id);
        continue;
      }
      if (BigInt(interval.energyWh) > MAX_PERIOD_WH) {
        await recordRejection(em, event.subject, `${interval.at}.energyWh[${interval.index}]`, `${interval.energyWh} Wh in one period is beyond any meter (at most ${MAX_PERIOD_WH})`, event.envelope.id);
        continue;
      }
      values.set(`${interval.periodId}\u0000${interval.meterId}`, { meterId: interval.meterId, periodId: interval.periodId, energyWh: interval.energyWh });
    }
    if (values.size === 0) continue;
    const rows = [...values.values()];
    const changed: { period_id: string }[] = await em.query(
      `INSERT INTO meter_values (meter_id, period_id, energy_wh, source_event_id)
       SELECT m, p, e::bigint, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS x(m, p, e)
       ON CONFLICT (period_id, meter_id) DO UPDATE SET energy_wh = EXCLUDED.energy_wh, source_event_id = EXCLUDED.source_event_id
         WHERE meter_values.energy_wh <> EXCLUDED.energy_wh
       RETURNING period_id`,
      [rows.map((r) => r.meterId), rows.map((r) => r.periodId), rows.map((r) => r.energyWh), event.envelope.id],
    );
    await markPeriodsDirty(em, [...new Set(changed.map((c) => c.period_id))], periodLength);
  }
}

