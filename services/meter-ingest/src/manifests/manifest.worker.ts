import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { LOGGER, PollingLoop, SERVICE_CONFIG } from '@gridledger/service-kit';
import { counter, type JsonLogger } from '@gridledger/telemetry';
import type { MeterIngestConfig } from '../config';
import { ManifestPublisher } from './manifest.publisher';
import type { ManifestWait } from '../persistence/manifests.repository';

const manifestsPublished = () => counter('gridledger_manifests_published_total', 'Group-period manifests published by meter-ingest (new revisions)');
const manifestFailures = () => counter('gridledger_manifest_failures_total', 'Group-period manifests that could not be written');

/** How often the dirty marks' queue table is vacuumed (ManifestPublisher.vacuumDirtyMarks). */
const DIRTY_MARKS_VACUUM_MS = 60_000;

/** Ticks the manifest publisher every METER_INGEST_MANIFEST_INTERVAL_MS. */
@Injectable()
export class ManifestWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: PollingLoop;
  /** Its own loop: a long publishing pass (a backlog of periods) must not hold the vacuum back. */
  private readonly vacuumLoop: PollingLoop;
  private readonly wait: ManifestWait;

  constructor(
    private readonly publisher: ManifestPublisher,
    @Inject(SERVICE_CONFIG) config: MeterIngestConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {
    // A group-period still receiving batches waits one interval of quiet (ten at most): each
    // computation reads all the period's values, so computing it on every pass while a
    // period fills cost more Postgres CPU than storing the values.
    this.wait = { quietMs: config.METER_INGEST_MANIFEST_INTERVAL_MS, maxWaitMs: 10 * config.METER_INGEST_MANIFEST_INTERVAL_MS };
    this.loop = new PollingLoop(config.METER_INGEST_MANIFEST_INTERVAL_MS, () => this.tick(), (error) => this.logger.warn(`manifest pass failed: ${error instanceof Error ? error.message : String(error)}`, 'ManifestWorker'));
    this.vacuumLoop = new PollingLoop(DIRTY_MARKS_VACUUM_MS, () => this.publisher.vacuumDirtyMarks(), (error) => this.logger.warn(`vacuum of the dirty marks failed: ${error instanceof Error ? error.message : String(error)}`, 'ManifestWorker'));
  }

  onApplicationBootstrap(): void {
    this.loop.start();
    this.vacuumLoop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.loop.stop(), this.vacuumLoop.stop()]);
  }

  private async tick(): Promise<void> {
    const pass = await this.publisher.publishDirty(this.wait);
    if (pass.published > 0) manifestsPublished().add(pass.published);
    for (const failure of pass.failed) {
      manifestFailures().add(1);
      this.logger.event('error', 'manifest of a group-period could not be written', { ...failure });
    }
  }
}
