import { Global, Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { MessagingClient, OutboxRelay } from '@gridledger/messaging';
import type { JsonLogger, Telemetry } from '@gridledger/telemetry';
import { ConsumerHost } from './consumer-host';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { DATA_SOURCE, LOGGER, MESSAGING, OUTBOX_RELAY, SERVICE_CONFIG, TELEMETRY } from './tokens';

export interface Backbone {
  readonly config: unknown;
  readonly messaging: MessagingClient;
  readonly dataSource: DataSource;
  readonly telemetry: Telemetry;
  readonly outboxRelay: OutboxRelay | undefined;
  readonly logger: JsonLogger;
}

/** Starts the outbox relay with the app; stops consumers, relay and connections in order on shutdown. */
@Injectable()
class BackboneLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(
    @Inject('gridledger.backbone') private readonly backbone: Backbone,
    private readonly consumers: ConsumerHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.backbone.outboxRelay?.start();
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
        ConsumerHost,
        BackboneLifecycle,
      ],
      exports: [SERVICE_CONFIG, MESSAGING, DATA_SOURCE, TELEMETRY, OUTBOX_RELAY, LOGGER, ConsumerHost],
    };
  }
}
