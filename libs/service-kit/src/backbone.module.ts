import { Global, Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { serveOutboxReplay, type MessagingClient, type OutboxRelay } from '@gridledger/messaging';
import type { JsonLogger, Telemetry } from '@gridledger/telemetry';
import { ConsumerHost } from './consumer-host';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import type { Clock } from '@gridledger/domain';
import { CLOCK, systemClock } from './clock';
import { DATA_SOURCE, LOGGER, MESSAGING, OUTBOX_RELAY, SERVICE_CONFIG, TELEMETRY } from './tokens';

export interface Backbone {
  /** Service name; replay requests arrive on `<name>.outbox.replay`. */
  readonly name: string;
  readonly config: unknown;
  readonly messaging: MessagingClient;
  readonly dataSource: DataSource;
  readonly telemetry: Telemetry;
  readonly outboxRelay: OutboxRelay | undefined;
  readonly logger: JsonLogger;
  /** "Now" for every worker and controller (CLOCK); the system clock unless given. */
  readonly clock?: Clock;
}

/** Starts the outbox relay (and answers replay requests) with the app; stops consumers, relay and connections in order on shutdown. */
@Injectable()
class BackboneLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject('gridledger.backbone') private readonly backbone: Backbone,
    private readonly consumers: ConsumerHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.backbone.outboxRelay) return;
    await this.backbone.outboxRelay.start();
    // Receivers that find a gap in what they got ask the sender to replay from its outbox.
    serveOutboxReplay(this.backbone.messaging, this.backbone.dataSource, this.backbone.name);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumers.stopAll();
    await this.backbone.outboxRelay?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.backbone.messaging.close();
    if (this.backbone.dataSource.isInitialized) await this.backbone.dataSource.destroy();
    await this.backbone.telemetry.flush();
  }
}

/** Global providers for the connections bootstrapService opened, plus health and metrics. */
@Global()
@Module({})
export class BackboneModule {
  static forRoot(backbone: Backbone): DynamicModule {
    return {
      module: BackboneModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: 'gridledger.backbone', useValue: backbone },
        { provide: SERVICE_CONFIG, useValue: backbone.config },
        { provide: MESSAGING, useValue: backbone.messaging },
        { provide: DATA_SOURCE, useValue: backbone.dataSource },
        { provide: TELEMETRY, useValue: backbone.telemetry },
        { provide: OUTBOX_RELAY, useValue: backbone.outboxRelay },
        { provide: LOGGER, useValue: backbone.logger },
        { provide: CLOCK, useValue: backbone.clock ?? systemClock },
        ConsumerHost,
        BackboneLifecycle,
      ],
      exports: [CLOCK, SERVICE_CONFIG, MESSAGING, DATA_SOURCE, TELEMETRY, OUTBOX_RELAY, LOGGER, ConsumerHost],
    };
  }
}
