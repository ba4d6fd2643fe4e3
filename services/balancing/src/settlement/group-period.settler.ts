import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { Clock, PeriodLength, formatInstant, periodEndMs } from '@gridledger/domain';
import { BalancingPeriodClosed, BalancingPeriodSettled } from '@gridledger/events';
import { enqueueOutbox } from '@gridledger/messaging';
import { extractTraceContext, recordCarrier, withSpan } from '@gridledger/telemetry';
import { GateDecision, SUBSTITUTE_LOOKBACK_MS, SettledVersion, SettlementTrigger, gateDecisionFromMissing, meterKey, settleGroupPeriodWithRoot, substituteValue, summarizeMarketPeriod } from '@gridledger/settlement';
import { GroupPeriodKey } from '../persistence/group-periods.repository';
import { currentValues, recordMeterValues } from '../persistence/meter-values.repository';
import { imbalancePriceOf } from '../persistence/prices.repository';
import { missingMeters } from '../persistence/registry.repository';
import { schedulesOf } from '../persistence/schedules.repository';
import { Sql } from '../persistence/sql';
import { StoredVersion, insertVersion, latestVersionsOfPeriod, postingsOf, versionOf } from '../persistence/versions.repository';
import { MerkleRoots } from './merkle-roots';
import { closedEventData, settledEventData } from './settled-event.mapper';

interface DueRow {
  group_id: string;
  period_id: string;
  period_length: PeriodLength;
  period_start: Date;
  gate_deadline: Date;
  status: 'open' | 'settled' | 'confirmed';
  latest_version: number;
  dirty: boolean;
  trace_headers: Record<string, string>;
}

export type SettleStep =
  | { readonly kind: 'none' }
  | { readonly kind: 'still-open'; readonly key: GroupPeriodKey }
  | { readonly kind: 'unchanged'; readonly key: GroupPeriodKey }
  | { readonly kind: 'settled'; readonly settled: SettledVersion };

/**
 * Settles group-periods whose gate has closed (complete or deadline) and re-settles those
 * with changes after settlement (version n+1). The work list lives in Postgres: each step
 * takes one due row with FOR UPDATE SKIP LOCKED, so replicas share it without overlap, and
 * the row lock keeps value writes for that group-period out until the version commits.
 */
export class GroupPeriodSettler {
  constructor(
    private readonly dataSource: DataSource,
    private readonly roots: MerkleRoots,
    private readonly clock: Clock,
  ) {}

  /** Works until nothing is due; `concurrency` steps overlap database I/O with hashing. */
  async settleDue(concurrency = 2): Promise<SettledVersion[]> {
    const settled: SettledVersion[] = [];
    const worker = async (): Promise<void> => {
      for (;;) {
        const step = await this.step();
        if (step.kind === 'none') return;
        if (step.kind === 'settled') settled.push(step.settled);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    return settled;
  }

  /** One due group-period in one transaction. */
  step(): Promise<SettleStep> {
    const now = this.clock.now();
    return this.dataSource.transaction(async (em) => {
      const rows: DueRow[] = await em.query(
        `SELECT group_id, period_id, period_length, period_start, gate_deadline, status, latest_version, dirty, trace_headers FROM group_periods
         WHERE (status = 'open' AND (needs_check OR gate_deadline <= $1)) OR dirty
         ORDER BY period_start, group_id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [now],
      );
      if (rows.length === 0) return { kind: 'none' } as const;
      const row = rows[0];
      const key = { groupId: row.group_id, periodId: row.period_id };
      // Gate closure, netting and settlement join the trace of the batch that last changed
      // the group-period, so one trace runs from intake to the chain.
      const parent = extractTraceContext(recordCarrier({ ...row.trace_headers }));
      return withSpan('balancing.gate', { parent, attributes: { 'gridledger.group': key.groupId, 'gridledger.period': key.periodId } }, async (span) => {
        if (row.status === 'open') {
          const decision = await this.gate(em, row, now);
          span.setAttribute('gridledger.gate', decision.kind === 'stay-open' ? 'open' : decision.reason);
          if (decision.kind === 'stay-open') {
            await em.query(`UPDATE group_periods SET needs_check = false WHERE group_id = $1 AND period_id = $2`, [key.groupId, key.periodId]);
            return { kind: 'still-open', key } as const;
          }
          if (decision.reason === 'deadline' && decision.missing.length > 0) await this.substitute(em, row, decision.missing);
          return withSpan('balancing.settle', {}, () => this.settle(em, row, decision.reason, now));
        }
        return withSpan('balancing.settle', {}, () => this.settle(em, row, 'correction', now));
      });
    });
  }

  private async gate(sql: Sql, row: DueRow, now: Date): Promise<GateDecision> {
    const { expectedCount, missing } = await missingMeters(sql, row.group_id, row.period_id, row.period_start);
    const endMs = periodEndMs(row.period_id, row.period_length);
    return gateDecisionFromMissing({ expectedCount, missing, periodEndMs: endMs, deadlineMs: row.gate_deadline.getTime() - endMs, nowMs: now.getTime() });
  }

  /** Missing meters at the deadline: the previous day's value of the same period, else zero (substitution.ts). */
  private async substitute(sql: Sql, row: DueRow, missing: readonly { meterId: string; direction: 'consumption' | 'production' }[]): Promise<void> {
    const previousPeriod = formatInstant(row.period_start.getTime() - SUBSTITUTE_LOOKBACK_MS);
    const previous: { meter_id: string; direction: 'consumption' | 'production'; energy_wh: string }[] = await sql.query(
      `SELECT meter_id, direction, energy_wh FROM meter_values
       WHERE group_id = $1 AND period_id = $2 AND replaced_seq IS NULL AND meter_id = ANY($3::text[])`,
      [row.group_id, previousPeriod, missing.map((m) => m.meterId)],
    );
    const previousByKey = new Map(previous.map((p) => [meterKey({ meterId: p.meter_id, direction: p.direction }), BigInt(p.energy_wh)]));
    const substitutes = missing.map((meter) => substituteValue(meter, previousByKey.get(meterKey(meter))));
    await recordMeterValues(sql, { groupId: row.group_id, periodId: row.period_id }, substitutes, `substitute:${row.group_id}:${row.period_id}`);
  }

  private async settle(em: EntityManager, row: DueRow, trigger: SettlementTrigger, now: Date): Promise<SettleStep> {
    const key = { groupId: row.group_id, periodId: row.period_id };
    // One connection per transaction: the reads run one after another.
    const snapshot = await currentValues(em, key);
    // Hashing runs on worker threads meanwhile (see merkle-roots.ts).
    const merkleRoot = this.roots.rootOf(snapshot.values, key.periodId, row.period_length);
    const schedules = await schedulesOf(em, key.groupId, key.periodId);
    const price = await imbalancePriceOf(em, key.periodId);
    const previousPostings = await postingsOf(em, key.groupId, key.periodId);
    const root = await merkleRoot;
    const input = {
      groupId: key.groupId,
      periodId: key.periodId,
      periodLength: row.period_length,
      version: row.latest_version + 1,
      trigger,
      values: snapshot.values,
      schedules,
      imbalancePricePerMWh: price,
      previousPostings,
    };
    let settled = await withSpan('balancing.netting', { attributes: { 'gridledger.meters': snapshot.values.length } }, async () => settleGroupPeriodWithRoot(input, root));
    if (row.latest_version > 0) {
      const previous = await versionOf(em, key.groupId, key.periodId, row.latest_version);
      if (previous && sameBooks(previous, settled)) {
        await em.query(`UPDATE group_periods SET dirty = false, needs_check = false WHERE group_id = $1 AND period_id = $2`, [key.groupId, key.periodId]);
        return { kind: 'unchanged', key };
      }
      if (previous && sameEnergy(previous, settled)) settled = { ...settled, trigger: 'priced' };
    }
    await insertVersion(em, settled, snapshot.watermark, now);
    await em.query(
      `UPDATE group_periods SET status = 'settled', latest_version = $3, dirty = false, needs_check = false WHERE group_id = $1 AND period_id = $2`,
      [key.groupId, key.periodId, settled.version],
    );
    const envelope = BalancingPeriodSettled.create({
      data: settledEventData(settled),
      idParts: [settled.groupId, settled.periodId, String(settled.version)],
      occurredAt: now,
    });
    await enqueueOutbox(em, BalancingPeriodSettled, envelope, settled.groupId);
    await this.closeMarketPeriodIfComplete(em, key.periodId, row.period_length, now);
    return { kind: 'settled', settled };
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

function sameEnergy(previous: StoredVersion, next: SettledVersion): boolean {
  return (
    previous.merkleRoot === next.merkleRoot &&
    previous.feedInWh === next.totals.feedInWh &&
    previous.feedOutWh === next.totals.feedOutWh &&
    previous.scheduleNetWh === next.totals.scheduleNetWh &&
    previous.substitutedCount === next.totals.substitutedCount
  );
}

/** Nothing a new version would change: no empty versions. */
function sameBooks(previous: StoredVersion, next: SettledVersion): boolean {
  return sameEnergy(previous, next) && previous.imbalancePricePerMWh === next.imbalancePricePerMWh;
}
