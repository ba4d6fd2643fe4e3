import type { EntityManager } from 'typeorm';
import { EventOf, MeterPointsChanged, MeterPointsRegistered, MeterPointsRetired } from '@gridledger/events';
import { ReceivedEvent } from '@gridledger/messaging';
import { lockMarketPeriods } from '../persistence/group-periods.repository';
import { applyPointVersions, markOpenPeriodsForCheck } from '../persistence/registry.repository';

type PointsEvent = ReceivedEvent<EventOf<typeof MeterPointsRegistered> | EventOf<typeof MeterPointsChanged> | EventOf<typeof MeterPointsRetired>>;

/** The registry copy that says which meters balancing expects in which group and period. */
export async function applyMeterPoints(em: EntityManager, events: readonly PointsEvent[]): Promise<void> {
  await lockMarketPeriods(em);
  const touched = new Set<string>();
  for (const event of events) {
    const groups = await applyPointVersions(
      em,
      event.envelope.data.points.map((point) => ({ meterId: point.meterId, direction: point.direction, groupId: point.groupId, validFrom: point.validFrom, validTo: point.validTo, mpo: point.mpo, supplier: point.supplier })),
    );
    groups.forEach((group) => touched.add(group));
  }
  if (touched.size > 0) await markOpenPeriodsForCheck(em, touched);
}
