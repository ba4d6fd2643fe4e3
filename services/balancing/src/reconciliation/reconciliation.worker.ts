import { BeforeApplicationShutdown, Controller, Get, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import type { MessagingClient } from '@gridledger/messaging';
import { CLOCK, DATA_SOURCE, LOGGER, MESSAGING, PollingLoop, SERVICE_CONFIG } from '@gridledger/service-kit';
import type { Attributes } from '@opentelemetry/api';
import { meter, type JsonLogger } from '@gridledger/telemetry';
import type { BalancingConfig } from '../config';
import { Reconciler, type ReconciliationState } from './reconciler';

const BETWEEN = ['meter-ingest↔balancing', 'balancing↔capacity-market', 'balancing↔chain-bridge', 'chain-bridge↔chain'] as const;
type Reading = { readonly value: number; readonly attributes: Attributes };
const driftReadings = new Map<string, Reading>();
let gaugeRegistered = false;

/** `gridledger_reconciliation_drift{between}`: differences the last pass found (0 when all agree), read at scrape time. */
function registerDriftGauge(): void {
  if (gaugeRegistered) return;
  gaugeRegistered = true;
  meter()
    .createObservableGauge('gridledger_reconciliation_drift', { description: 'Differences the reconciler found between the services and the chain in its last pass, by pair (alarm when > 0 for long)' })
    .addCallback((result) => driftReadings.forEach((reading) => result.observe(reading.value, reading.attributes)));
}

function reportDrift(pair: string, value: number, attributes: Attributes): void {
  registerDriftGauge();
  driftReadings.set(pair, { value, attributes });
}

function reportPass(state: ReconciliationState): void {
  for (const between of BETWEEN) reportDrift(between, state.drifts.filter((drift) => drift.between === between).length, { between });
}

/** Runs the reconciler every BALANCING_RECONCILE_INTERVAL_MS (docs/integrity.md). */
@Injectable()
export class ReconciliationWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly reconciler: Reconciler;
  private readonly loop: PollingLoop;

  constructor(
    @Inject(DATA_SOURCE) dataSource: DataSource,
    @Inject(MESSAGING) messaging: MessagingClient,
    @Inject(SERVICE_CONFIG) config: BalancingConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(CLOCK) clock: Clock,
  ) {
    this.reconciler = new Reconciler(dataSource, messaging, clock, config.BALANCING_RECONCILE_LOOKBACK_MS, {
      alarm: (drift) => this.logger.event('error', `reconciliation: ${drift.between} differ (${drift.what}), replay cannot heal it`, { ...drift }),
      warn: (message, fields) => this.logger.event('warn', message, fields),
    });
    this.loop = new PollingLoop(config.BALANCING_RECONCILE_INTERVAL_MS, async () => reportPass(await this.reconciler.pass()), (error) => this.logger.warn(`reconciliation pass failed: ${error instanceof Error ? error.message : String(error)}`, 'ReconciliationWorker'));
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}

/** The reconciler's last pass: what differs between meter-ingest, balancing, capacity-market, chain-bridge and the chain. */
@Controller('reconciliation')
export class ReconciliationController {
  constructor(private readonly worker: ReconciliationWorker) {}

  @Get()
  state(): ReconciliationState {
    return this.worker.reconciler.current();
  }
}
