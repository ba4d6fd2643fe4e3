import type { DataSource } from 'typeorm';
import type { Clock, GroupPeriodManifestDigests } from '@gridledger/domain';
import { MeterManifestUpdated } from '@gridledger/events';
import { publishCommitted, serializeEvent, writeOutbox, type EnqueuedEvent, type MessagingClient, type SerializedEvent } from '@gridledger/messaging';
import { vacuumQueueTable } from '@gridledger/persistence';
import { ManifestsRepository, NO_WAIT, periodIdOf, type DirtyGroupPeriod, type ManifestRevision, type ManifestWait } from '../persistence/manifests.repository';

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
 * time per schema (advisory lock); a period's group-periods in one transaction, and if that
 * fails each in its own, so one that cannot be written holds back no other. The publisher
 * sends a round's manifests itself once they are committed (publishCommitted, as intake does) without waking the relay: a period of
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
          for (const [key, ofPeriod] of byPeriod(dirty)) committed.push(...(await this.publishPeriod(ofPeriod, computedAhead.get(key), failed)));
          computed += dirty.length;
          published += committed.length;
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
   * group instead (publishPeriod), so one group that cannot be computed holds back no other.
   */
  private async computeByPeriod(dirty: readonly DirtyGroupPeriod[]): Promise<Map<string, Map<string, GroupPeriodManifestDigests>>> {
    const computed = new Map<string, Map<string, GroupPeriodManifestDigests>>();
    for (const [key, ofPeriod] of byPeriod(dirty)) {
      try {
        computed.set(
          key,
          await this.manifests.computeMany(
            this.dataSource.manager,
            ofPeriod.map((one) => one.groupId),
            ofPeriod[0].periodStart,
          ),
        );
      } catch {
        // Left to publishGroups, group by group.
      }
    }
    return computed;
  }

  /**
   * A period's dirty group-periods: together in one transaction, or, when that fails (or the
   * period could not be computed ahead), each in its own; one that cannot be written is
   * dropped from the dirty list so it blocks nothing, and listed in `failed` (the reconciler
   * reports the gap).
   */
  private async publishPeriod(ofPeriod: readonly DirtyGroupPeriod[], ahead: ReadonlyMap<string, GroupPeriodManifestDigests> | undefined, failed: ManifestPass['failed'][number][]): Promise<EnqueuedEvent[]> {
    const together = ahead ? await this.publishGroups(ofPeriod, ahead).catch(() => null) : null;
    if (together) return together;
    const events: EnqueuedEvent[] = [];
    for (const one of ofPeriod) {
      try {
        events.push(...(await this.publishGroups([one], ahead)));
      } catch (error) {
        await this.manifests.clean(this.dataSource.manager, [one]);
        failed.push({ groupId: one.groupId, periodId: periodIdOf(one.periodStart), reason: error instanceof Error ? error.message.slice(0, 300) : String(error) });
      }
    }
    return events;
  }

  /**
   * Group-periods of one period in one transaction: compute each (unless computed ahead),
   * compare with the last published, clean their dirty rows, and write a new revision and its
   * event to the outbox for each that changed. Five statements for a period's groups, where
   * a transaction per group-period took six each.
   */
  private publishGroups(dirty: readonly DirtyGroupPeriod[], computedAhead?: ReadonlyMap<string, GroupPeriodManifestDigests>): Promise<EnqueuedEvent[]> {
    const { periodStart } = dirty[0];
    return this.dataSource.transaction(async (em) => {
      const last = await this.manifests.latestOfGroups(
        em,
        dirty.map((one) => one.groupId),
        periodStart,
      );
      await this.manifests.clean(em, dirty);
      const now = this.clock.now();
      const periodId = periodIdOf(periodStart);
      const stored: ManifestRevision[] = [];
      const events: SerializedEvent[] = [];
      for (const one of dirty) {
        const manifest = computedAhead?.get(one.groupId) ?? (await this.manifests.compute(em, one.groupId, periodStart));
        const previous = last.get(one.groupId);
        if (previous && previous.count === manifest.count && previous.digest === manifest.digest) continue;
        const revision = (previous?.revision ?? 0) + 1;
        const envelope = MeterManifestUpdated.create({
          data: { groupId: one.groupId, periodId, periodLength: one.periodMinutes === 60 ? 'PT60M' : 'PT15M', revision, count: manifest.count, digest: manifest.digest, perMpo: manifest.perMpo.map((mpo) => ({ ...mpo, batches: [...mpo.batches] })) },
          idParts: [one.groupId, periodId, String(revision)],
          occurredAt: now,
        });
        stored.push({ groupId: one.groupId, periodStart, periodMinutes: one.periodMinutes, manifest: { revision, count: manifest.count, digest: manifest.digest, eventId: envelope.id } });
        events.push(serializeEvent(MeterManifestUpdated, envelope, one.groupId));
      }
      await this.manifests.store(em, stored, now);
      return writeOutbox(em, events, { notify: false });
    });
  }
}

/** Dirty group-periods by period, in the order listed. */
function byPeriod(dirty: readonly DirtyGroupPeriod[]): Map<string, DirtyGroupPeriod[]> {
  const periods = new Map<string, DirtyGroupPeriod[]>();
  for (const one of dirty) {
    const list = periods.get(periodKey(one));
    if (list) list.push(one);
    else periods.set(periodKey(one), [one]);
  }
  return periods;
}

function periodKey(dirty: DirtyGroupPeriod): string {
  return String(dirty.periodStart.getTime());
}
