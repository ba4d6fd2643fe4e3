import type { DataSource } from 'typeorm';
import type { Clock, GroupPeriodManifestDigests } from '@gridledger/domain';
import { MeterManifestUpdated } from '@gridledger/events';
import { publishCommitted, serializeEvent, writeOutbox, type EnqueuedEvent, type MessagingClient } from '@gridledger/messaging';
import { vacuumQueueTable } from '@gridledger/persistence';
import { ManifestsRepository, NO_WAIT, periodIdOf, type DirtyGroupPeriod, type ManifestWait } from '../persistence/manifests.repository';

export interface ManifestPass {
  /** Group-periods whose manifest was computed. */
  readonly computed: number;
  /** Of those, how many changed and were published as a new revision. */
  readonly published: number;
  /** Group-periods whose manifest could not be written (logged; the reconciler shows them). */
  readonly failed: readonly { readonly groupId: string; readonly periodId: string; readonly reason: string }[];
}

/**
 * Computes the manifests of dirty group-periods in SQL and publishes changed ones through
 * the outbox, off the intake's path: intake only marks what it touched. One publisher at a
 * time per schema (advisory lock); each group-period in its own transaction, so one that
 * cannot be written holds back no other. The publisher sends a round's manifests itself once
 * they are committed (publishCommitted, as intake does) without waking the relay: a period of
 * many groups then costs one NATS round and one UPDATE instead of a relay round per group
 * (measured: about one relay transaction per manifest). The relay's poll is the fallback.
 */
export class ManifestPublisher {
  private readonly schema: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly manifests: ManifestsRepository,
    private readonly clock: Clock,
    private readonly messaging: MessagingClient,
    private readonly batchSize = 200,
  ) {
    this.schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  }

  /** manifest_dirty is a queue table (intake inserts, this deletes): vacuumQueueTable. */
  async vacuumDirtyMarks(): Promise<void> {
    await vacuumQueueTable(this.dataSource, this.schema, 'manifest_dirty');
  }

  /** `wait`: leave group-periods still being filled (ManifestWait); none by default. */
  async publishDirty(wait: ManifestWait = NO_WAIT): Promise<ManifestPass> {
    const lock = await this.dataSource.createQueryRunner();
    let computed = 0;
    let published = 0;
    const failed: { groupId: string; periodId: string; reason: string }[] = [];
    try {
      await lock.connect();
      const [{ locked }]: { locked: boolean }[] = await lock.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [`manifests:${this.schema}`]);
      if (!locked) return { computed, published, failed };
      try {
        for (;;) {
          const dirty = await this.manifests.dirty(this.dataSource.manager, this.batchSize, wait);
          const computedAhead = await this.computeByPeriod(dirty);
          const committed: EnqueuedEvent[] = [];
          for (const one of dirty) {
            try {
              const events = await this.publishOne(one, computedAhead.get(periodKey(one))?.get(one.groupId));
              committed.push(...events);
              published += events.length;
            } catch (error) {
              // Dropped from the dirty list so it blocks nothing; the reconciler reports the gap.
              await this.manifests.clean(this.dataSource.manager, one);
              failed.push({ groupId: one.groupId, periodId: periodIdOf(one.periodStart), reason: error instanceof Error ? error.message.slice(0, 300) : String(error) });
            }
            computed++;
          }
          // One that cannot be sent now is the relay's (its next poll).
          await publishCommitted(this.messaging, this.dataSource, committed).catch(() => undefined);
          if (dirty.length < this.batchSize) break;
        }
      } finally {
        await lock.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`manifests:${this.schema}`]);
      }
    } finally {
      await lock.release();
    }
    return { computed, published, failed };
  }

  /**
   * The manifests of the dirty groups, one statement per period (not per group-period: each
   * statement reads the period's values once). The dirty rows were committed before this
   * runs, so their values are in what it computes; values committed later leave dirty rows
   * of their own for the next pass. A period whose statement fails is computed group by
   * group instead (publishOne), so one group that cannot be computed holds back no other.
   */
  private async computeByPeriod(dirty: readonly DirtyGroupPeriod[]): Promise<Map<string, Map<string, GroupPeriodManifestDigests>>> {
    const groupsOf = new Map<string, { periodStart: Date; groupIds: string[] }>();
    for (const one of dirty) {
      const key = periodKey(one);
      const entry = groupsOf.get(key);
      if (entry) entry.groupIds.push(one.groupId);
      else groupsOf.set(key, { periodStart: one.periodStart, groupIds: [one.groupId] });
    }
    const computed = new Map<string, Map<string, GroupPeriodManifestDigests>>();
    for (const [key, { periodStart, groupIds }] of groupsOf) {
      try {
        computed.set(key, await this.manifests.computeMany(this.dataSource.manager, groupIds, periodStart));
      } catch {
        // Left to publishOne, group by group.
      }
    }
    return computed;
  }

  /** One group-period: compute (unless computed ahead), compare with the last published, write a new revision to the outbox if it changed (its event, or none). */
  private publishOne(dirty: DirtyGroupPeriod, computedAhead?: GroupPeriodManifestDigests): Promise<EnqueuedEvent[]> {
    return this.dataSource.transaction(async (em) => {
      const manifest = computedAhead ?? (await this.manifests.compute(em, dirty.groupId, dirty.periodStart));
      const last = await this.manifests.latest(em, dirty.groupId, dirty.periodStart);
      await this.manifests.clean(em, dirty);
      if (last && last.count === manifest.count && last.digest === manifest.digest) return [];
      const now = this.clock.now();
      const periodId = periodIdOf(dirty.periodStart);
      const revision = (last?.revision ?? 0) + 1;
      const envelope = MeterManifestUpdated.create({
        data: { groupId: dirty.groupId, periodId, periodLength: dirty.periodMinutes === 60 ? 'PT60M' : 'PT15M', revision, count: manifest.count, digest: manifest.digest, perMpo: manifest.perMpo.map((mpo) => ({ ...mpo, batches: [...mpo.batches] })) },
        idParts: [dirty.groupId, periodId, String(revision)],
        occurredAt: now,
      });
      await this.manifests.store(em, dirty.groupId, dirty.periodStart, dirty.periodMinutes, { revision, count: manifest.count, digest: manifest.digest, eventId: envelope.id }, now);
      return writeOutbox(em, [serializeEvent(MeterManifestUpdated, envelope, dirty.groupId)], { notify: false });
    });
  }
}

function periodKey(dirty: DirtyGroupPeriod): string {
  return String(dirty.periodStart.getTime());
}
