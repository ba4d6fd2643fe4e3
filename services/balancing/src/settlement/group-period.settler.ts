import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { Clock, Keccak256, PeriodLength, WattHours, periodEndMs } from '@gridledger/domain';
import { BalancingPeriodClosed, BalancingPeriodSettled } from '@gridledger/events';
import { enqueueOutbox } from '@gridledger/messaging';
import { extractTraceContext, recordCarrier, withSpan } from '@gridledger/telemetry';
import {
  GroupPeriodCommand,
  GroupPeriodContext,
  GroupPeriodEvent,
  GroupPeriodState,
  InputsCheck,
  InputsManifest,
  SettledVersion,
  checkInputs,
  groupPeriodDecider,
  groupPeriodGate,
  inputsDigest,
  periodStartSeconds,
  summarizeMarketPeriod,
  versionSaltKey,
} from '@gridledger/settlement';
import { DueGroupPeriod, GroupPeriodKey, GroupPeriodStatus, markChecked, markSettled, recordSettleFailure, takeDueGroupPeriod } from '../persistence/group-periods.repository';
import { LoadedMeterRows, insertMeterValues, loadMeterRows, previousDayValues } from '../persistence/meter-values.repository';
import { imbalancePriceOf } from '../persistence/prices.repository';
import { schedulesOf } from '../persistence/schedules.repository';
import { Sql } from '../persistence/sql';
import { insertVersion, latestVersionsOfPeriod, restoreLatestWatermark, settledVersionsOf } from '../persistence/versions.repository';
import { IngestManifestsRepository } from '../persistence/ingest-manifests.repository';
import { MerkleRoots } from './merkle-roots';
import { closedEventData, settledEventData } from './settled-event.mapper';

export type SettleStep =
  | { readonly kind: 'none' }
  | { readonly kind: 'still-open'; readonly key: GroupPeriodKey }
  | { readonly kind: 'unchanged'; readonly key: GroupPeriodKey }
  | { readonly kind: 'settled'; readonly settled: SettledVersion }
  | ResendNeeded
  | SettleFailure;

/** The values of a group-period do not match meter-ingest's manifest: not settled, a re-send is due. */
export interface ResendNeeded {
  readonly kind: 'resend';
  readonly key: GroupPeriodKey;
  readonly expected: { readonly count: number; readonly digest: string };
  readonly received: { readonly count: number; readonly digest: string };
  readonly missing: number;
}

/** How the settler holds a group-period to meter-ingest's manifest (docs/integrity.md). */
export interface ManifestPolicy {
  /** Settle only when balancing's values match the manifest. */
  readonly required: boolean;
  /** A group-period waiting for a re-send is looked at again (and asks again) after this long. */
  readonly resendRetryMs: number;
}

export const DEFAULT_MANIFEST_POLICY: ManifestPolicy = { required: true, resendRetryMs: 30_000 };

/** Settling one group-period threw: its transaction rolled back and the failure was recorded. */
export interface SettleFailure {
  readonly kind: 'failed';
  readonly key: GroupPeriodKey;
  /** The status it was in when taken (`open`: gate closure failed; else a correction). */
  readonly status: GroupPeriodStatus;
  readonly reason: string;
  readonly failures: number;
  /** This failure parked it: the queue skips it until a new input arrives. */
  readonly parked: boolean;
}

/** How the queue treats a group-period whose settlement keeps throwing (a poison item). */
export interface PoisonPolicy {
  /** Failures in a row after which it is parked. */
  readonly maxFailures: number;
  /** After a failure it is not retried for this long, so the others settle first. */
  readonly retryBackoffMs: number;
}

export const DEFAULT_POISON_POLICY: PoisonPolicy = { maxFailures: 5, retryBackoffMs: 10_000 };

/**
 * Settles group-periods through the group-period decider of @gridledger/settlement: each
 * step takes one due group-period, loads its state from Postgres (expected meters and
 * values as columns, schedules, price, versions with their postings), decides
 * `CloseGateIfDue` (an open period, at the clock's now) or `SettleChanges` (a settled one
 * whose inputs changed), and stores what the events say: substitutes, the version, its
 * ledger posting and the outbox events. The rules live in the decider only; SQL here loads
 * and stores. The work list lives in Postgres (SKIP LOCKED), so replicas share it.
 */
export class GroupPeriodSettler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly roots: MerkleRoots,
    private readonly keccak: Keccak256,
    /** BALANCING_LEAF_SALT_KEY: each version's leaves are salted from it. */
    private readonly leafSaltKey: Uint8Array,
    private readonly clock: Clock,
    private readonly poison: PoisonPolicy = DEFAULT_POISON_POLICY,
    private readonly manifest: ManifestPolicy = DEFAULT_MANIFEST_POLICY,
    private readonly manifests = new IngestManifestsRepository(),
  ) {}

  /**
   * Works until nothing is due; `concurrency` steps overlap database I/O with hashing. A
   * group-period that throws is recorded (and backed off, then parked) and reported to
   * `onFailure`; the others go on settling.
   */
  async settleDue(concurrency = 2, onFailure: (failure: SettleFailure) => void = () => undefined, onResend: (resend: ResendNeeded) => void = () => undefined): Promise<SettledVersion[]> {
    const settled: SettledVersion[] = [];
    const worker = async (): Promise<void> => {
      for (;;) {
        const step = await this.step();
        if (step.kind === 'none') return;
        if (step.kind === 'settled') settled.push(step.settled);
        if (step.kind === 'failed') onFailure(step);
        if (step.kind === 'resend') onResend(step);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return settled;
  }

  /**
   * One due group-period in one transaction. If settling it throws, the transaction rolls
   * back and the failure is recorded in a transaction of its own (count, reason, parking).
   */
  async step(): Promise<SettleStep> {
    const now = this.clock.now();
    let taken = undefined as DueGroupPeriod | undefined;
    try {
      return await this.settleOne(now, (due) => (taken = due));
    } catch (error) {
      if (taken === undefined) throw error;
      const { key, status } = taken;
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      const recorded = await this.dataSource.transaction((em) => recordSettleFailure(em, key, reason, now, this.poison.maxFailures));
      return { kind: 'failed', key, status, reason, failures: recorded?.failures ?? 0, parked: recorded?.parked ?? false };
    }
  }

  private settleOne(now: Date, onTaken: (due: DueGroupPeriod) => void): Promise<SettleStep> {
    return this.dataSource.transaction(async (em) => {
      const due = await takeDueGroupPeriod(em, now, new Date(now.getTime() - this.poison.retryBackoffMs), new Date(now.getTime() - this.manifest.resendRetryMs));
      if (!due) return { kind: 'none' } as const;
      onTaken(due);
      const { key } = due;
      // Gate closure, netting and settlement join the trace of the batch that last changed
      // the group-period, so one trace runs from intake to the chain.
      const parent = extractTraceContext(recordCarrier({ ...due.traceHeaders }));
      return withSpan('balancing.gate', { parent, attributes: { 'gridledger.group': key.groupId, 'gridledger.period': key.periodId } }, async (span) => {
        const context: GroupPeriodContext = { ...key, periodLength: due.periodLength, gateDeadlineMs: due.gateDeadline.getTime() - periodEndMs(key.periodId, due.periodLength) };
        const loaded = await loadMeterRows(em, key, due.periodStart);
        let commandOf: (inputs: InputsCheck | undefined) => GroupPeriodCommand = (inputs) => ({ type: 'SettleChanges', inputs });
        let substituting = false;
        if (due.status === 'open') {
          const gate = groupPeriodGate(context, loaded.meters, now.getTime());
          span.setAttribute('gridledger.gate', gate.kind === 'stay-open' ? 'open' : gate.reason);
          if (gate.kind === 'stay-open') {
            await markChecked(em, key);
            return { kind: 'still-open', key } as const;
          }
          // The decider makes the substitutes; the store only looks up what they are based on.
          const missing = gate.reason === 'deadline' ? gate.missing : [];
          substituting = missing.length > 0;
          const previousDay = substituting ? await previousDayValues(em, key, due.periodStart, missing) : new Map<string, WattHours>();
          commandOf = (inputs) => ({ type: 'CloseGateIfDue', nowMs: now.getTime(), previousDayValues: previousDay, inputs });
        }
        return withSpan('balancing.settle', {}, () => this.settle(em, due, context, loaded, commandOf, substituting, now));
      });
    });
  }

  private async settle(
    em: EntityManager,
    due: DueGroupPeriod,
    context: GroupPeriodContext,
    loaded: LoadedMeterRows,
    commandOf: (inputs: InputsCheck | undefined) => GroupPeriodCommand,
    substituting: boolean,
    now: Date,
  ): Promise<SettleStep> {
    const { key } = due;
    // Balancing's measured values (the rows just loaded) are digested for the comparison with
    // meter-ingest's manifest, and the rows' root under the next version's salts is hashed
    // (unless substitutes will change the rows: then the decider hashes the rows it settles),
    // both on worker threads while the rest of the state loads.
    const versions = await settledVersionsOf(em, key.groupId, key.periodId);
    const nextVersion = versions.length + 1;
    const start = periodStartSeconds(key.periodId, due.periodLength);
    const hashing = this.roots.hashesOf(loaded.meters, {
      measured: this.manifest.required,
      ...(substituting ? {} : { root: { periodStartSeconds: start, versionKey: versionSaltKey(this.leafSaltKey, key.groupId, start, nextVersion) } }),
    });
    // Awaited below, after the other reads; marked handled so a failure meanwhile is not an unhandled rejection.
    hashing.catch(() => undefined);
    const state: GroupPeriodState = {
      status: due.status,
      meters: loaded.meters,
      schedules: new Map((await schedulesOf(em, key.groupId, key.periodId)).map((schedule) => [schedule.scheduleId, schedule])),
      imbalancePricePerMWh: await imbalancePriceOf(em, key.periodId),
      versions,
      confirmedVersion: due.confirmedVersion,
    };
    const manifest = this.manifest.required ? await this.manifests.latest(em, key) : null;
    const { root: loadedRoot, measured } = await hashing;
    const command = commandOf(measured ? { manifest, received: measured } : undefined);
    const decider = groupPeriodDecider(context, {
      keccak: this.keccak,
      leafSaltKey: this.leafSaltKey,
      knownRoot: (meters, version) => (meters === loaded.meters && version === nextVersion ? loadedRoot : undefined),
    });
    const events = await withSpan('balancing.netting', { attributes: { 'gridledger.meters': loaded.meters.meterIds.length } }, async () => decider.decide(command, state));
    const resend = events.find((event) => event.type === 'ResendRequested');
    if (resend) {
      const mismatch = { expected: resend.expected, received: resend.received, missing: resend.missing };
      await this.manifests.recordResendRequest(em, key, mismatch, now);
      return { kind: 'resend', key, ...mismatch };
    }
    const settled = await this.store(em, key, events, loaded.watermark, now, 'inputs' in command ? command.inputs : undefined);
    if (!settled) {
      await markChecked(em, key);
      // The values equal the latest version's (same totals and root): an adopted version whose values came late gets its watermark.
      if (due.status !== 'open') await restoreLatestWatermark(em, key, loaded.watermark);
      return { kind: 'unchanged', key };
    }
    await this.manifests.clearAwaiting(em, key);
    await this.closeMarketPeriodIfComplete(em, key.periodId, due.periodLength, now);
    return { kind: 'settled', settled };
  }

  /** What the decided events say, into Postgres: substitutes, then the version, its posting and its outbox event. */
  private async store(
    em: EntityManager,
    key: GroupPeriodKey,
    events: readonly GroupPeriodEvent[],
    loadedWatermark: bigint,
    now: Date,
    inputs: InputsCheck | undefined,
  ): Promise<SettledVersion | undefined> {
    let watermark = loadedWatermark;
    let settled: SettledVersion | undefined;
    for (const event of events) {
      switch (event.type) {
        case 'GateClosed': {
          const written = await insertMeterValues(
            em,
            key,
            event.substitutes.map((value) => ({ value })),
            `substitute:${key.groupId}:${key.periodId}`,
          );
          watermark = written ?? watermark;
          break;
        }
        case 'PeriodSettled': {
          settled = event.settled;
          await insertVersion(em, settled, watermark, now);
          await markSettled(em, key, settled.version);
          const digest = await this.inputsDigestOf(em, key, inputs);
          const data = { ...settledEventData(settled), ...(digest ? { inputsDigest: digest } : {}) };
          const envelope = BalancingPeriodSettled.create({ data, idParts: [settled.groupId, settled.periodId, String(settled.version)], occurredAt: now });
          await enqueueOutbox(em, BalancingPeriodSettled, envelope, settled.groupId);
          break;
        }
        default:
          // CloseGateIfDue and SettleChanges decide nothing else; the inputs were stored as they arrived.
          throw new Error(`the settler does not store ${event.type} events`);
      }
    }
    return settled;
  }

  /**
   * The inputsDigest of the meter-ingest manifest this version settled on: only when its
   * count and digest are what balancing holds (the version settled exactly the MPO-signed
   * inputs it names); otherwise none, and the commitment says "not attested".
   */
  private async inputsDigestOf(em: EntityManager, key: GroupPeriodKey, inputs: InputsCheck | undefined): Promise<string | undefined> {
    if (!inputs?.manifest || checkInputs(inputs).kind !== 'match') return undefined;
    const data = await this.manifests.latestData(em, key, inputs.manifest.revision);
    if (!data) return undefined;
    try {
      return inputsDigest(data as InputsManifest);
    } catch {
      return undefined;
    }
  }

  /**
   * Publishes the market-wide summary when every group of the period is settled, and a new
   * revision when a group's version changes afterwards. The advisory lock makes concurrent
   * settlements of one period see each other's commits, so the last one publishes.
   */
  private async closeMarketPeriodIfComplete(sql: Sql, periodId: string, periodLength: PeriodLength, now: Date): Promise<void> {
    await sql.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`balancing-close:${periodId}`]);
    const [{ pending }]: { pending: string }[] = await sql.query(
      `SELECT count(*) FILTER (WHERE status = 'open' OR dirty) AS pending FROM group_periods WHERE period_id = $1`,
      [periodId],
    );
    if (Number(pending) > 0) return;
    const latest = await latestVersionsOfPeriod(sql, periodId);
    if (latest.length === 0) return;
    const groupsDigest = createHash('sha256')
      .update(latest.map((v) => `${v.groupId}:${v.version}`).join('\n'))
      .digest('hex');
    const last: { revision: number; groups_digest: string }[] = await sql.query(
      `SELECT revision, groups_digest FROM period_closures WHERE period_id = $1 ORDER BY revision DESC LIMIT 1`,
      [periodId],
    );
    if (last[0]?.groups_digest === groupsDigest) return;
    const revision = (last[0]?.revision ?? 0) + 1;
    await sql.query(`INSERT INTO period_closures (period_id, revision, groups_digest) VALUES ($1, $2, $3)`, [periodId, revision, groupsDigest]);
    const summary = summarizeMarketPeriod(
      periodId,
      latest.map((v) => ({ groupId: v.groupId, version: v.version, feedInWh: v.feedInWh, feedOutWh: v.feedOutWh, scheduleNetWh: v.scheduleNetWh, imbalanceWh: v.imbalanceWh, merkleRoot: v.merkleRoot })),
    );
    const envelope = BalancingPeriodClosed.create({ data: closedEventData(summary, periodLength, revision), idParts: [periodId, String(revision)], occurredAt: now });
    await enqueueOutbox(sql as EntityManager, BalancingPeriodClosed, envelope);
  }
}
