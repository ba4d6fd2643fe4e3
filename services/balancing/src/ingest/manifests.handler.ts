import type { EntityManager } from 'typeorm';
import { EventOf, MeterManifestUpdated } from '@gridledger/events';
import { ReceivedEvent } from '@gridledger/messaging';
import { lockGroupPeriods, markChanged } from '../persistence/group-periods.repository';
import { IngestManifestsRepository } from '../persistence/ingest-manifests.repository';

type ManifestEvent = ReceivedEvent<EventOf<typeof MeterManifestUpdated>>;

const manifests = new IngestManifestsRepository();

/**
 * Keeps the latest manifest per group-period (a lower revision arriving late is ignored) and
 * wakes the group-period: an open one is checked, a settled one compared again.
 */
export async function applyManifests(em: EntityManager, events: readonly ManifestEvent[], gateDeadlineAfterEndMs: number, receivedAt: Date): Promise<void> {
  for (const event of events) {
    const { groupId, periodId, periodLength, revision, count, digest } = event.envelope.data;
    const key = { groupId, periodId };
    await lockGroupPeriods(em, [key], periodLength, gateDeadlineAfterEndMs);
    if (await manifests.record(em, key, { revision, count, digest }, event.envelope.data, receivedAt)) await markChanged(em, key);
  }
}
