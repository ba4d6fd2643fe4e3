import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { MessagingClient } from '@gridledger/messaging';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, InjectClock, LOGGER, MESSAGING, PollingLoop, SERVICE_CONFIG } from '@gridledger/service-kit';
import { JsonLogger, counter, histogram } from '@gridledger/telemetry';
import { Clock, periodEndMs } from '@gridledger/domain';
import { BalancingConfig } from '../config';
import { balancingConsumerRefs } from '../ingest/balancing-consumers';
import { METER_RESEND_SUBJECT } from '@gridledger/events';
import { GroupPeriodSettler, ResendNeeded, SettleFailure } from './group-period.settler';
import { createMeterValuePartitions } from '../persistence/meter-value-partitions';
import { AdoptedVersionsRestorer } from '../rebuild/adopted-versions.restorer';

/** Value partitions: today and the next 7 days, checked every six hours (docs/partitions.md). */
const PARTITION_DAYS = 8;
const PARTITION_CHECK_MS = 6 * 3_600_000;

const versionsSettled = () => counter('gridledger_balancing_versions_settled_total', 'Group-period versions settled, by trigger');
const timeToSettle = () => histogram('gridledger_balancing_time_to_settle_seconds', 'From a period end to its first settled version', 's');
const parkedGroupPeriods = () => counter('gridledger_settlement_parked_group_periods', 'Group-periods parked after repeated settlement failures (poison items), by the status they failed in');
const resendsRequested = () => counter('gridledger_balancing_resends_requested_total', 'Re-sends asked of meter-ingest because a group-period did not match its manifest');
const settleRunSeconds = () => histogram('gridledger_balancing_settle_run_seconds', 'One worker run over every due group-period', 's');

/**
 * Ticks the settler. Nothing lives in this process's memory but the timer: which periods are
 * due is in Postgres, and SKIP LOCKED shares the work between replicas. A tick waits while
 * the consumers are behind (replay, backlog), so a period settles on everything that was
 * sent, up to BALANCING_CATCH_UP_MAX_WAIT_MS.
 */
@Injectable()
export class SettlementWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PollingLoop;
  private readonly partitionLoop: PollingLoop;
  private behindSinceMs: number | undefined;

  constructor(
    private readonly settler: GroupPeriodSettler,
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    @Inject(SERVICE_CONFIG) private readonly config: BalancingConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @InjectClock() private readonly clock: Clock,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly restorer: AdoptedVersionsRestorer,
  ) {
    this.loop = new PollingLoop(this.config.BALANCING_SETTLE_INTERVAL_MS, () => this.tick(), (error) => this.logger.warn(`settlement tick failed: ${error instanceof Error ? error.message : String(error)}`, 'SettlementWorker'));
    this.partitionLoop = new PollingLoop(PARTITION_CHECK_MS, () => this.partitionsAhead(), (error) => this.logger.warn(`creating value partitions ahead failed: ${error instanceof Error ? error.message : String(error)}`, 'SettlementWorker'));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.partitionsAhead();
    this.loop.start();
    this.partitionLoop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.partitionLoop.stop();
    await this.loop.stop();
  }

  private partitionsAhead(): Promise<void> {
    return createMeterValuePartitions(this.dataSource, this.clock.nowMs(), PARTITION_DAYS);
  }

  private async tick(): Promise<void> {
    if (!(await this.caughtUpOrWaitedEnough())) return;
    // Versions adopted from the log get their values back first (nothing to do after the first run).
    for (const restored of await this.restorer.restorePending()) {
      const fields = { group: restored.key.groupId, period: restored.key.periodId, restored: restored.restored.join(','), notRestored: restored.notRestored.join(',') };
      if (restored.notRestored.length > 0) this.logger.event('warn', 'adopted versions whose values are not among the replayed ones: totals and roots kept, no proofs', fields);
    }
    const started = process.hrtime.bigint();
    const resends: ResendNeeded[] = [];
    const settled = await this.settler.settleDue(this.config.BALANCING_SETTLE_CONCURRENCY, (failure) => this.alarm(failure), (resend) => resends.push(resend));
    await Promise.all(resends.map((resend) => this.askResend(resend)));
    if (settled.length > 0) settleRunSeconds().record(Number(process.hrtime.bigint() - started) / 1e9);
    const nowMs = this.clock.nowMs();
    for (const version of settled) {
      versionsSettled().add(1, { trigger: version.trigger });
      if (version.version === 1) timeToSettle().record((nowMs - periodEndMs(version.periodId, version.periodLength)) / 1000);
      this.logger.log(`settled ${version.groupId} ${version.periodId} v${version.version} (${version.trigger}): imbalance ${version.totals.imbalanceWh} Wh, root ${version.merkleRoot}`, 'SettlementWorker');
    }
  }

  /**
   * Asks meter-ingest to re-send a group-period that does not match its manifest (after the
   * commit that recorded the request). Not answering is logged; the retry comes with
   * BALANCING_RESEND_RETRY_MS, and the reconciler shows the drift meanwhile.
   */
  private async askResend(resend: ResendNeeded): Promise<void> {
    const { groupId, periodId } = resend.key;
    resendsRequested().add(1);
    const fields = { group: groupId, period: periodId, expectedCount: resend.expected.count, receivedCount: resend.received.count, expectedDigest: resend.expected.digest, receivedDigest: resend.received.digest, missing: resend.missing };
    this.logger.event('warn', 'values of a group-period do not match meter-ingest\'s manifest: not settled, re-send requested', fields);
    try {
      const replayId = `resend-${groupId}-${periodId.replace(/[^0-9]/g, '')}-${this.clock.nowMs()}`.slice(0, 64);
      const answer = await this.messaging.request<{ replayed?: number; error?: string }>(METER_RESEND_SUBJECT, { groupId, periodId, replayId }, 10_000);
      if (answer.error) this.logger.event('error', 'meter-ingest refused the re-send', { ...fields, error: answer.error });
    } catch (error) {
      this.logger.event('warn', 'meter-ingest did not answer the re-send (asked again later)', { ...fields, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** A failed settlement is a warning; parking one (a poison item) is an alarm. */
  private alarm(failure: SettleFailure): void {
    const fields = { group: failure.key.groupId, period: failure.key.periodId, status: failure.status, failures: failure.failures, reason: failure.reason };
    if (!failure.parked) {
      this.logger.event('warn', `settlement of a group-period failed (${failure.failures} of ${this.config.BALANCING_SETTLE_MAX_FAILURES})`, fields);
      return;
    }
    parkedGroupPeriods().add(1, { status: failure.status });
    this.logger.event('error', `settlement parked ${failure.key.groupId} ${failure.key.periodId}: a new value, schedule or price un-parks it`, fields);
  }

  private async caughtUpOrWaitedEnough(): Promise<boolean> {
    let pending = 0;
    for (const ref of Object.values(balancingConsumerRefs(this.config.BALANCING_CONSUMER_PREFIX))) {
      const info = await this.messaging.jsm.consumers.info(this.messaging.streamName(ref.stream), ref.durable).catch(() => undefined);
      if (!info) return false;
      pending += info.num_pending + info.num_ack_pending;
    }
    const nowMs = this.clock.nowMs();
    if (pending === 0) {
      this.behindSinceMs = undefined;
      return true;
    }
    this.behindSinceMs ??= nowMs;
    return nowMs - this.behindSinceMs >= this.config.BALANCING_CATCH_UP_MAX_WAIT_MS;
  }
}
