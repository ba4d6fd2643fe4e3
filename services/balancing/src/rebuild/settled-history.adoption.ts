import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { PeriodLength } from '@gridledger/domain';
import { BalancingPeriodClosed, BalancingPeriodSettled, type EventData } from '@gridledger/events';
import { STREAMS, readStreamSubject, type MessagingClient } from '@gridledger/messaging';
import { DATA_SOURCE, LOGGER, MESSAGING, SERVICE_CONFIG } from '@gridledger/service-kit';
import { SettledVersion, postingsOfRecordedVersions } from '@gridledger/settlement';
import type { JsonLogger } from '@gridledger/telemetry';
import type { BalancingConfig } from '../config';
import { lockGroupPeriods } from '../persistence/group-periods.repository';
import { insertVersion } from '../persistence/versions.repository';

type Settled = EventData<typeof BalancingPeriodSettled> & { readonly occurredAt: string };
type Closed = EventData<typeof BalancingPeriodClosed>;

/** An adopted version's watermark until its values are found again among the replayed ones. */
export const WATERMARK_NOT_RESTORED = -1n;

/**
 * Rebuild from the log (docs/integrity.md). The `balancing.period.settled` events on the
 * BALANCING stream are the record of every version balancing decided. On an empty database
 * they are adopted before anything else runs (module init: before the consumers, the
 * settlement worker and HTTP): each group-period's versions 1..n with their totals, price,
 * amount, root and substitution reason, their postings derived again and checked against each
 * version's ledger digest, and the market-wide closure revisions. The group-periods are
 * settled at version n and wait (`restore_pending`) for the replayed values; nothing is
 * published again (the events are on the stream already). What the events do not carry, the
 * values each version saw, is found again by `AdoptedVersionsRestorer` once the consumers
 * have caught up.
 */
@Injectable()
export class SettledHistoryAdoption implements OnModuleInit {
  constructor(
    @Inject(DATA_SOURCE) private readonly db: DataSource,
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    @Inject(SERVICE_CONFIG) private readonly config: BalancingConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  async onModuleInit(): Promise<void> {
    const adopted = await this.db.transaction(async (em) => {
      // Replicas starting together: one adopts, the others find the versions there.
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('balancing-adopt-history'))`);
      const [any] = (await em.query(`SELECT 1 FROM period_versions LIMIT 1`)) as unknown[];
      if (any !== undefined) return undefined;
      const settled = await this.readSettled();
      if (settled.size === 0) return undefined;
      let versions = 0;
      for (const recorded of settled.values()) versions += await this.adoptGroupPeriod(em, recorded);
      const closures = await this.adoptClosures(em);
      return { groupPeriods: settled.size, versions, closures };
    });
    if (adopted) this.logger.log(`adopted the settled history from the BALANCING stream: ${JSON.stringify(adopted)}`, 'SettledHistoryAdoption');
  }

  /** Every settled event, once per (group, period, version), by group-period in version order. */
  private async readSettled(): Promise<Map<string, Settled[]>> {
    const byVersion = new Map<string, { settled: Settled; text: string }>();
    await readStreamSubject(this.messaging, STREAMS.BALANCING.name, BalancingPeriodSettled.subjectFilter, (msg) => {
      const envelope = BalancingPeriodSettled.parse(msg.json());
      const key = `${envelope.data.groupId}|${envelope.data.periodId}|${envelope.data.version}`;
      const text = JSON.stringify(envelope.data);
      const seen = byVersion.get(key);
      // Re-published from the outbox (reconciliation, outbox replay): the same version once.
      if (seen && seen.text !== text) throw new Error(`the BALANCING stream holds two different settled events for ${key}`);
      if (!seen) byVersion.set(key, { settled: { ...envelope.data, occurredAt: envelope.occurredAt }, text });
    });
    const byGroupPeriod = new Map<string, Settled[]>();
    for (const { settled } of byVersion.values()) {
      const key = `${settled.groupId}|${settled.periodId}`;
      byGroupPeriod.set(key, [...(byGroupPeriod.get(key) ?? []), settled]);
    }
    for (const list of byGroupPeriod.values()) list.sort((a, b) => a.version - b.version);
    return byGroupPeriod;
  }

  private async adoptGroupPeriod(em: EntityManager, recorded: readonly Settled[]): Promise<number> {
    const amount = (value: string | null): bigint | null => (value === null ? null : BigInt(value));
    // Refuses a gap in the versions or postings that do not give a version's ledger digest.
    const postings = postingsOfRecordedVersions(recorded.map((v) => ({ ...v, imbalanceAmount: amount(v.imbalanceAmount) })));
    const { groupId, periodId, periodLength } = recorded[0];
    await lockGroupPeriods(em, [{ groupId, periodId }], periodLength as PeriodLength, this.config.BALANCING_GATE_DEADLINE_MS);
    for (const [i, event] of recorded.entries()) {
      const version: SettledVersion = {
        groupId,
        periodId,
        periodLength: event.periodLength,
        version: event.version,
        trigger: event.trigger,
        totals: {
          feedInWh: BigInt(event.feedInWh),
          feedOutWh: BigInt(event.feedOutWh),
          scheduleNetWh: BigInt(event.scheduleNetWh),
          imbalanceWh: BigInt(event.imbalanceWh),
          meterCount: event.meterCount,
          substitutedCount: event.substitutedCount,
        },
        imbalancePricePerMWh: amount(event.imbalancePricePerMWh),
        imbalanceAmount: amount(event.imbalanceAmount),
        posting: postings[i],
        ledgerDigest: event.ledgerDigest,
        merkleRoot: event.merkleRoot,
        ...(event.substitutionReason ? { substitutionReason: event.substitutionReason } : {}),
      };
      await insertVersion(em, version, WATERMARK_NOT_RESTORED, new Date(event.occurredAt));
    }
    await em.query(
      `UPDATE group_periods SET status = 'settled', latest_version = $3, needs_check = false, dirty = false, restore_pending = true WHERE group_id = $1 AND period_id = $2`,
      [groupId, periodId, recorded.length],
    );
    return recorded.length;
  }

  /** The closure revisions as they were published, so the next change continues their count. */
  private async adoptClosures(em: EntityManager): Promise<number> {
    const revisions = new Map<string, Closed>();
    await readStreamSubject(this.messaging, STREAMS.BALANCING.name, BalancingPeriodClosed.subjectFilter, (msg) => {
      const { data } = BalancingPeriodClosed.parse(msg.json());
      revisions.set(`${data.periodId}|${data.revision}`, data);
    });
    for (const closed of revisions.values()) {
      // The digest the settler keeps per revision, over the groups' latest versions in the
      // database's order of group ids (as latestVersionsOfPeriod reads them), so computed here in SQL.
      await em.query(
        `INSERT INTO period_closures (period_id, revision, groups_digest)
         SELECT $1, $2, encode(sha256(convert_to(string_agg(g || ':' || v, E'\\n' ORDER BY g), 'UTF8')), 'hex')
         FROM unnest($3::text[], $4::int[]) AS x(g, v)
         ON CONFLICT DO NOTHING`,
        [closed.periodId, closed.revision, closed.groups.map((group) => group.groupId), closed.groups.map((group) => group.version)],
      );
    }
    return revisions.size;
  }
}
