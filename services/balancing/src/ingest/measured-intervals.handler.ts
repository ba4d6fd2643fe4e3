import type { EntityManager } from 'typeorm';
import { PeriodError, PeriodLength, parsePeriodId } from '@gridledger/domain';
import { EventOf, MeterIntervalsMeasured } from '@gridledger/events';
import { PoisonEventError, ReceivedEvent } from '@gridledger/messaging';
import { injectTraceContext, recordCarrier } from '@gridledger/telemetry';
import { GroupPeriodKey, compareKeys, lockGroupPeriods, markChanged } from '../persistence/group-periods.repository';
import { IncomingValue, recordMeterValues } from '../persistence/meter-values.repository';

type MeasuredEvent = ReceivedEvent<EventOf<typeof MeterIntervalsMeasured>>;

/**
 * Applies measured-interval batches: values grouped per (group, period), group-period rows
 * locked in key order first, then each value recorded idempotently. A value for a period
 * that is already settled marks it for a correction (version n+1).
 */
export async function applyMeasuredIntervals(em: EntityManager, events: readonly MeasuredEvent[], gateDeadlineAfterEndMs: number): Promise<void> {
  const perEvent = events.map((event) => ({ event, periods: valuesByPeriod(event) }));
  const byLength = new Map<PeriodLength, GroupPeriodKey[]>();
  for (const { event, periods } of perEvent) {
    const keys = byLength.get(event.envelope.data.periodLength) ?? [];
    for (const periodId of periods.keys()) keys.push({ groupId: event.envelope.data.groupId, periodId });
    byLength.set(event.envelope.data.periodLength, keys);
  }
  for (const [length, keys] of byLength) await lockGroupPeriods(em, keys.sort(compareKeys), length, gateDeadlineAfterEndMs);
  for (const { event, periods } of perEvent) {
    const trace = recordCarrier();
    injectTraceContext(trace, event.traceContext);
    for (const [periodId, values] of periods) {
      const key = { groupId: event.envelope.data.groupId, periodId };
      const changed = await recordMeterValues(em, key, values, event.envelope.id);
      if (changed > 0) await markChanged(em, key, trace.record);
    }
  }
}

function valuesByPeriod(event: MeasuredEvent): Map<string, IncomingValue[]> {
  const { periodLength, series } = event.envelope.data;
  const periods = new Map<string, IncomingValue[]>();
  series.forEach(({ periodId, direction, meterIds, energyWh }, index) => {
    try {
      parsePeriodId(periodId, periodLength);
    } catch (error) {
      const reason = error instanceof PeriodError ? error.reason : String(error);
      throw new PoisonEventError(`series[${index}].periodId: ${reason}`);
    }
    const list = periods.get(periodId) ?? [];
    meterIds.forEach((meterId, i) => list.push({ meterId, direction, energyWh: BigInt(energyWh[i]), substituted: false }));
    periods.set(periodId, list);
  });
  return periods;
}
