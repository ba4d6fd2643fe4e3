import type { DataSource } from 'typeorm';
import { formatInstant, type Clock } from '@gridledger/domain';
import {
  BalancingPeriodSettled,
  CAPACITY_RECONCILIATION_VIEW_SUBJECT,
  CHAIN_RECONCILIATION_VIEW_SUBJECT,
  METER_MANIFESTS_VIEW_SUBJECT,
  METER_RESEND_SUBJECT,
  deterministicEventId,
} from '@gridledger/events';
import { replayOutbox, type MessagingClient } from '@gridledger/messaging';
import { reconcile, type CommitSide, type Drift, type ExchangeSide, type ManifestSide } from '@gridledger/settlement';
import { ReconciliationRepository } from '../persistence/reconciliation.repository';

const QUARTER_HOUR_MS = 15 * 60_000;

export interface TrackedDrift extends Drift {
  /** When a pass first saw it (it stays while it persists). */
  readonly firstSeenAt: string;
}

export interface ReconciliationState {
  readonly checkedAt: string | null;
  readonly fromPeriod: string | null;
  readonly toPeriod: string | null;
  /** Services that did not answer the last pass (their side was compared with nothing). */
  readonly unreachable: readonly string[];
  readonly drifts: readonly TrackedDrift[];
  /** Heals started by the last pass (re-sends asked, settled versions re-published). */
  readonly healed: number;
}

export interface ReconcilerLog {
  alarm(drift: TrackedDrift): void;
  warn(message: string, fields: Record<string, unknown>): void;
}

/**
 * Compares, per period of the last `lookbackMs`, meter-ingest's manifests, balancing's
 * manifests, waiting group-periods and versions, capacity-market's exchanges and
 * chain-bridge's commits with the chain's roots (`reconcile`, pure). A drift seen in two
 * passes in a row is healed when replay can heal it (a re-send from meter-ingest, a settled
 * version re-published from balancing's outbox; the receivers' inboxes make both harmless);
 * one replay cannot heal is an alarm with the exact difference (once, from its second pass).
 */
export class Reconciler {
  private state: ReconciliationState = { checkedAt: null, fromPeriod: null, toPeriod: null, unreachable: [], drifts: [], healed: 0 };
  /** Drifts replay cannot heal that were alarmed already (one alarm while a drift lasts). */
  private alarmed = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly messaging: MessagingClient,
    private readonly clock: Clock,
    private readonly lookbackMs: number,
    private readonly log: ReconcilerLog,
    private readonly repository = new ReconciliationRepository(),
  ) {}

  current(): ReconciliationState {
    return this.state;
  }

  async pass(): Promise<ReconciliationState> {
    const nowMs = this.clock.nowMs();
    const toPeriod = formatInstant(Math.floor(nowMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS + QUARTER_HOUR_MS);
    const fromPeriod = formatInstant(Math.floor((nowMs - this.lookbackMs) / QUARTER_HOUR_MS) * QUARTER_HOUR_MS);
    const range = { fromPeriod, toPeriod };
    const em = this.dataSource.manager;
    const unreachable: string[] = [];
    const ask = async <T>(service: string, subject: string, field: string): Promise<T[] | null> => {
      try {
        const answer = await this.messaging.request<Record<string, unknown>>(subject, range, 5_000);
        if (Array.isArray(answer[field])) return answer[field] as T[];
        unreachable.push(`${service}: ${String(answer.error ?? 'no answer')}`.slice(0, 200));
      } catch (error) {
        unreachable.push(`${service}: ${error instanceof Error ? error.message : String(error)}`.slice(0, 200));
      }
      return null;
    };
    const [meterIngest, capacity, chainBridge, balancingManifests, balancingAwaiting, balancingVersions, balancingExchanges] = await Promise.all([
      ask<ManifestSide>('meter-ingest', METER_MANIFESTS_VIEW_SUBJECT, 'manifests'),
      ask<ExchangeSide>('capacity-market', CAPACITY_RECONCILIATION_VIEW_SUBJECT, 'exchanges'),
      ask<CommitSide>('chain-bridge', CHAIN_RECONCILIATION_VIEW_SUBJECT, 'commits'),
      this.repository.manifests(em, fromPeriod, toPeriod),
      this.repository.awaiting(em, fromPeriod, toPeriod, new Date(nowMs)),
      this.repository.latestVersions(em, fromPeriod, toPeriod),
      this.repository.capacityExchanges(em, fromPeriod, toPeriod),
    ]);
    const drifts = reconcile({ meterIngest, capacity, chainBridge, balancingManifests, balancingAwaiting, balancingVersions, balancingExchanges });

    const previous = new Map(this.state.drifts.map((drift) => [driftKey(drift), drift]));
    const checkedAt = new Date(nowMs).toISOString();
    const tracked = drifts.map((drift) => ({ ...drift, firstSeenAt: previous.get(driftKey(drift))?.firstSeenAt ?? checkedAt }));
    let healed = 0;
    const resent = new Set<string>();
    for (const drift of tracked) {
      const seenBefore = previous.has(driftKey(drift));
      // In flight is not lost (an exchange or a value on its way): alarm and heal only what a previous pass saw too.
      if (!seenBefore) continue;
      if (drift.heal === null) {
        if (!this.alarmed.has(driftKey(drift))) this.log.alarm(drift);
        continue;
      }
      if (drift.heal === 'resend' && !resent.has(`${drift.periodId}|${drift.groupId}`)) {
        resent.add(`${drift.periodId}|${drift.groupId}`);
        healed += (await this.resend(drift, nowMs)) ? 1 : 0;
      }
      if (drift.heal === 'replay-settled') healed += (await this.replaySettled(drift, balancingVersions, nowMs)) ? 1 : 0;
    }
    this.alarmed = new Set(tracked.filter((drift) => drift.heal === null && previous.has(driftKey(drift))).map(driftKey));
    this.state = { checkedAt, fromPeriod, toPeriod, unreachable, drifts: tracked, healed };
    return this.state;
  }

  private async resend(drift: Drift, nowMs: number): Promise<boolean> {
    try {
      const replayId = `reconcile-${drift.groupId}-${drift.periodId.replace(/[^0-9]/g, '')}-${nowMs}`.slice(0, 64);
      const answer = await this.messaging.request<{ replayed?: number; error?: string }>(METER_RESEND_SUBJECT, { groupId: drift.groupId, periodId: drift.periodId, replayId }, 10_000);
      return answer.replayed !== undefined;
    } catch (error) {
      this.log.warn('reconciler: meter-ingest did not answer a re-send', { group: drift.groupId, period: drift.periodId, error: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  private async replaySettled(drift: Drift, versions: readonly { periodId: string; groupId: string; version: number }[], nowMs: number): Promise<boolean> {
    const version = versions.find((v) => v.periodId === drift.periodId && v.groupId === drift.groupId);
    if (!version) return false;
    const eventId = deterministicEventId(BalancingPeriodSettled.type, version.groupId, version.periodId, String(version.version));
    const replayed = await replayOutbox(this.dataSource, this.messaging, { replayId: `reconcile-${nowMs}`, eventIds: [eventId] });
    return replayed > 0;
  }
}

function driftKey(drift: Drift): string {
  return `${drift.between}|${drift.periodId}|${drift.groupId}|${drift.what}`;
}
