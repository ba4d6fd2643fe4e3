import { Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import { STREAMS, durableName, type MessagingClient } from '@gridledger/messaging';
import { InjectClock, InjectConfig, InjectDataSource, InjectLogger, InjectMessaging, PollingLoop } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';
import type { CapacityMarketConfig } from '../config';
import { ComputationOutcome, computeDirtyPeriod } from './period-computation';

/**
 * Looks for dirty periods that have ended and computes them. All state is in Postgres (the
 * periods' dirty flag and row locks), so any number of replicas can run it and a restart
 * picks up exactly where the last commit left off.
 *
 * After a start it computes nothing until the ingest consumers have caught up once (or
 * CAPACITY_CATCH_UP_MAX_WAIT_MS has passed): on a rebuild they replay METER from the start, and
 * a period computed between an original value and its later correction would add a version
 * the adopted history does not have (docs/integrity.md).
 */
@Injectable()
export class PeriodWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: PollingLoop;
  /** Periods that failed, retried with backoff (only pacing: a restart simply retries at once). */
  private readonly failures = new Map<string, { attempts: number; retryAtMs: number }>();
  private caughtUp = false;
  private behindSinceMs: number | undefined;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: CapacityMarketConfig,
    @InjectLogger() private readonly logger: JsonLogger,
    @InjectClock() private readonly clock: Clock,
    @InjectMessaging() private readonly messaging: MessagingClient,
  ) {
    this.loop = new PollingLoop(this.config.CAPACITY_WORKER_INTERVAL_MS, async () => {
      if (await this.caughtUpOnce()) await this.runOnce();
    }, (error) => this.logger.warn(`period worker: ${error instanceof Error ? error.message : String(error)}`, 'PeriodWorker'));
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  private async caughtUpOnce(): Promise<boolean> {
    if (this.caughtUp) return true;
    let pending = 0;
    for (const [stream, consumer] of [[STREAMS.METER.name, 'intervals'], [STREAMS.MARKET.name, 'prices']] as const) {
      const info = await this.messaging.jsm.consumers.info(this.messaging.streamName(stream), durableName(this.config.CAPACITY_CONSUMER_PREFIX, consumer)).catch(() => undefined);
      pending += info ? info.num_pending + info.num_ack_pending : 1;
    }
    const nowMs = Date.now();
    this.behindSinceMs ??= nowMs;
    this.caughtUp = pending === 0 || nowMs - this.behindSinceMs >= this.config.CAPACITY_CATCH_UP_MAX_WAIT_MS;
    return this.caughtUp;
  }

  /** One pass over the due periods; returns what happened to each (tests call it directly). */
  async runOnce(now = this.clock.now()): Promise<Map<string, ComputationOutcome>> {
    const due: { period_id: string }[] = await this.db.query(`SELECT period_id FROM periods WHERE dirty AND period_end <= $1 ORDER BY period_id LIMIT 50`, [now]);
    const outcomes = new Map<string, ComputationOutcome>();
    for (const { period_id: periodId } of due) {
      const failure = this.failures.get(periodId);
      if (failure && failure.retryAtMs > this.clock.nowMs()) continue;
      try {
        const outcome = await this.db.transaction((em) =>
          computeDirtyPeriod(em, periodId, now, { graceMs: this.config.CAPACITY_GRACE_MS, partSize: this.config.CAPACITY_PART_SIZE }),
        );
        outcomes.set(periodId, outcome);
        this.failures.delete(periodId);
        if (outcome.kind === 'computed') this.logger.log(`period ${periodId} version ${outcome.version} computed (${outcome.reason})`, 'PeriodWorker');
      } catch (error) {
        // A period that cannot be computed stays dirty and is retried with backoff; the others go on.
        const attempts = (failure?.attempts ?? 0) + 1;
        const delayMs = Math.min(60_000, this.config.CAPACITY_WORKER_INTERVAL_MS * 2 ** attempts);
        this.failures.set(periodId, { attempts, retryAtMs: this.clock.nowMs() + delayMs });
        this.logger.error(`period ${periodId} failed (attempt ${attempts}, next in ${delayMs} ms): ${error instanceof Error ? error.message : String(error)}`, 'PeriodWorker');
      }
    }
    return outcomes;
  }
}
