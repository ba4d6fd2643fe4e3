import type { EntityManager } from 'typeorm';
import { EventOf, MeterPointsChanged, MeterPointsRegistered, MeterPointsRetired } from '@gridledger/events';
import { ReceivedEvent } from '@gridledger/messaging';
import { compareKeys, lockGroupPeriods, lockMarketPeriods, markChanged } from '../persistence/group-periods.repository';
import { rebookMeterValues, rebookedGroupPeriods, recordMeterValues } from '../persistence/meter-values.repository';
import { applyPointVersions, markOpenPeriodsForCheck } from '../persistence/registry.repository';

type PointsEvent = ReceivedEvent<EventOf<typeof MeterPointsRegistered> | EventOf<typeof MeterPointsChanged> | EventOf<typeof MeterPointsRetired>>;

/**
 * The registry copy that says which meters balancing expects in which group and period. A
 * change reaching back over values (a DSO correction: meter-ingest refuses any other) re-books
 * them: out of the old group-periods, into the new group's, both corrected (version n+1).
 */
export async function applyMeterPoints(em: EntityManager, events: readonly PointsEvent[], gateDeadlineAfterEndMs: number): Promise<void> {
  await lockMarketPeriods(em);
  const touched = new Set<string>();
  for (const event of events) {
    const points = event.envelope.data.points.map((point) => ({ meterId: point.meterId, direction: point.direction, groupId: point.groupId, validFrom: point.validFrom, validTo: point.validTo, mpo: point.mpo, supplier: point.supplier }));
    const groups = await applyPointVersions(em, points);
    groups.forEach((group) => touched.add(group));
    if (event.envelope.type !== MeterPointsChanged.type) continue;
    for (const point of points) {
      const keys = await rebookedGroupPeriods(em, point);
      if (keys.length === 0) continue;
      // Locked in key order per period length, as the measured values' handler does.
      for (const length of new Set(keys.map((k) => k.periodLength))) {
        await lockGroupPeriods(em, keys.filter((k) => k.periodLength === length).map((k) => k.key).sort(compareKeys), length, gateDeadlineAfterEndMs);
      }
      const changes = await rebookMeterValues(em, point, event.envelope.id);
      for (const change of changes.sort((a, b) => compareKeys(a.key, b.key))) {
        if (change.values.length > 0) await recordMeterValues(em, change.key, change.values, event.envelope.id, true);
        await markChanged(em, change.key);
      }
    }
  }
  if (touched.size > 0) await markOpenPeriodsForCheck(em, touched);
}
