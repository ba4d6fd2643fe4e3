import { Controller, Global, Inject, Injectable, Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { DataSource } from 'typeorm';
import { answerOutboxReplay, natsRequest, outboxReplaySubject, type JetStreamTransport, type MessagingClient, type OutboxRelay } from '@gridledger/messaging';
import type { JsonLogger, Telemetry } from '@gridledger/telemetry';
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
  /** Runs the app's @EventPattern and @MessagePattern handlers (started by bootstrapService). */
  readonly transport: JetStreamTransport;
  /** "Now" for every worker and controller (CLOCK); the system clock unless given. */
  readonly clock?: Clock;
}

/** Starts the outbox relay with the app; stops consumers, relay and connections in order on shutdown. */
@Injectable()
class BackboneLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject('gridledger.backbone') private readonly backbone: Backbone) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.backbone.outboxRelay?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.backbone.transport.close();
    await this.backbone.outboxRelay?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.backbone.messaging.close();
    if (this.backbone.dataSource.isInitialized) await this.backbone.dataSource.destroy();
    await this.backbone.telemetry.flush();
  }
}

/**
 * Receivers that find a gap in what they got ask the sender to replay from its outbox:
 * `<service>.outbox.replay` answers `{ replayed }`, or `{ error }` naming the bad field.
 */
function outboxReplayController(service: string): Type<unknown> {
  @Controller()
  class OutboxReplayController {
    constructor(@Inject('gridledger.backbone') private readonly backbone: Backbone) {}

    @MessagePattern(outboxReplaySubject(service), natsRequest())
    replay(@Payload() body: unknown): Promise<{ replayed: number } | { error: string }> {
      return answerOutboxReplay(this.backbone.dataSource, this.backbone.messaging, body);
    }
  }
  return OutboxReplayController;
}

/** Global providers for the connections bootstrapService opened, plus health, metrics and outbox replay. */
@Global()
@Module({})
export class BackboneModule {
  static forRoot(backbone: Backbone): DynamicModule {
    return {
      module: BackboneModule,
      controllers: [HealthController, MetricsController, ...(backbone.outboxRelay ? [outboxReplayController(backbone.name)] : [])],
      providers: [
        { provide: 'gridledger.backbone', useValue: backbone },
        { provide: SERVICE_CONFIG, useValue: backbone.config },
        { provide: MESSAGING, useValue: backbone.messaging },
        { provide: DATA_SOURCE, useValue: backbone.dataSource },
        { provide: TELEMETRY, useValue: backbone.telemetry },
        { provide: OUTBOX_RELAY, useValue: backbone.outboxRelay },
        { provide: LOGGER, useValue: backbone.logger },
        { provide: CLOCK, useValue: backbone.clock ?? systemClock },
        BackboneLifecycle,
      ],
      exports: [CLOCK, SERVICE_CONFIG, MESSAGING, DATA_SOURCE, TELEMETRY, OUTBOX_RELAY, LOGGER],
    };
  }
}
