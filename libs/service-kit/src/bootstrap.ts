import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { DataSource, EntitySchema, MixedList } from 'typeorm';
import type { z } from 'zod';
import type { Clock } from '@gridledger/domain';
import { connectJetStream, connectMessaging, JetStreamTransport, OutboxRelay, ALL_STREAMS, type MessagingClient, type StreamSpec } from '@gridledger/messaging';
import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS, openDataSource } from '@gridledger/persistence';
import { JsonLogger, startTelemetry, type Telemetry } from '@gridledger/telemetry';
import type { OpenApiDocument } from './api-docs';
import { BackboneModule } from './backbone.module';
import { loadConfig, loadNatsConnectionConfig, type CommonConfig } from './config';
import { problemDetailsFilterFor } from './problem-details';
import { signedBodyParsers } from './auth/body-parsers';

export interface ServiceDefinition<S extends z.ZodType<CommonConfig, z.ZodTypeDef, unknown>> {
  /** Service name for logs, traces and the NATS connection. */
  readonly name: string;
  /** The NATS user it logs in as, when not its name (chain-bridge's finalizer logs in as chain-bridge). */
  readonly natsUser?: string;
  /** The service's own Postgres schema. */
  readonly schema: string;
  readonly configSchema: S;
  /** The service's root module; BackboneModule's providers are global to it. */
  readonly appModule: Type<unknown> | DynamicModule;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly entities?: MixedList<Function | string | EntitySchema>;
  /** Run in order after the inbox/outbox migration, which is always first. */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  readonly migrations?: MixedList<Function | string>;
  /** Streams to create or update at start (default: every stream of the contracts). */
  readonly streams?: readonly StreamSpec[];
  /** Relay this service's outbox to JetStream (default true). */
  readonly outboxRelay?: boolean;
  /** Defaults to process.env. */
  readonly env?: Record<string, string | undefined>;
  /**
   * Stream consumers' naming and ack wait from the config: durables are `<prefix>-<consumer>`
   * (prefix default: the service name), ack wait default 60 s.
   */
  readonly consumers?: (config: z.infer<S>) => { readonly prefix?: string; readonly ackWaitMs?: number };
  /** The service's CLOCK from its validated config (e.g. an offset clock for replays); the system clock if absent. */
  readonly clock?: (config: z.infer<S>) => Clock;
  /** Served at GET /docs (OpenAPI 3.1, see api-docs.ts). */
  readonly apiDocument?: OpenApiDocument;
}

export interface RunningService<C> {
  readonly app: INestApplication;
  readonly config: C;
  readonly messaging: MessagingClient;
  readonly dataSource: DataSource;
  readonly telemetry: Telemetry;
  readonly outboxRelay: OutboxRelay | undefined;
  readonly logger: JsonLogger;
  /** http://127.0.0.1:<port> (the real port when HTTP_PORT=0). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Validated config → telemetry → Postgres (schema + migrations) → NATS (streams) → Nest app
 * with JSON logs, /health, /metrics, the outbox relay and the JetStream transport (stream
 * consumers and request handlers declared with @EventPattern / @MessagePattern). `close()` shuts down in order;
 * runService adds SIGTERM/SIGINT handling for main.ts.
 * Fails fast, naming what is wrong, if any step fails.
 */
export async function bootstrapService<S extends z.ZodType<CommonConfig, z.ZodTypeDef, unknown>>(definition: ServiceDefinition<S>): Promise<RunningService<z.infer<S>>> {
  const env = definition.env ?? process.env;
  const config = loadConfig(definition.configSchema, env) as z.infer<S> & CommonConfig;
  const natsConnection = loadNatsConnectionConfig(definition.natsUser ?? definition.name, env);
  const exporter = config.OTEL_TRACES_EXPORTER ?? (config.OTEL_EXPORTER_OTLP_ENDPOINT ? 'otlp' : 'none');
  const telemetry = startTelemetry({ serviceName: definition.name, exporter, otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, exportDelayMs: config.OTEL_BSP_SCHEDULE_DELAY });
  const logger = new JsonLogger({ service: definition.name, level: config.LOG_LEVEL });

  const dataSource = await dependency('Postgres (DATABASE_URL)', () => openDataSource({
    url: config.DATABASE_URL,
    schema: definition.schema,
    entities: [...MESSAGING_ENTITIES, ...asArray(definition.entities)],
    // The inbox/outbox migrations always run first; listing them again is harmless.
    migrations: [...MESSAGING_MIGRATIONS, ...asArray(definition.migrations).filter((m) => !new Set<unknown>(MESSAGING_MIGRATIONS).has(m))],
   }));
  let messaging: MessagingClient | undefined;
  try {
    messaging = await dependency('NATS (NATS_URL)', () => connectMessaging({ url: config.NATS_URL, namespace: config.NATS_NAMESPACE, name: definition.name, ...natsConnection }));
    const client = messaging;
    await dependency('JetStream streams', () => client.ensureStreams(definition.streams ?? ALL_STREAMS, config.NATS_STREAM_REPLICAS));
    const outboxRelay = definition.outboxRelay === false ? undefined : new OutboxRelay({ dataSource, messaging, logger });
    const consumers = definition.consumers?.(config) ?? {};
    const transport = new JetStreamTransport({ messaging, dataSource, logger, consumerPrefix: consumers.prefix ?? definition.name, ackWaitMs: consumers.ackWaitMs, streams: definition.streams });

    @Module({ imports: [BackboneModule.forRoot({ name: definition.name, config, messaging, dataSource, telemetry, outboxRelay, logger, transport, clock: definition.clock?.(config), apiDocument: definition.apiDocument }), definition.appModule] })
    class ServiceRootModule {}

    // Nest's own parsers are replaced: signed requests must reach their guard as raw bytes.
    const app = await NestFactory.create(ServiceRootModule, { logger, abortOnError: false, bodyParser: false });
    app.use(signedBodyParsers());
    // A hybrid app: the @EventPattern/@MessagePattern handlers run on JetStream beside HTTP.
    connectJetStream(app, transport);
    // Every HTTP error of every service answers as problem details (RFC 9457).
    app.useGlobalFilters(problemDetailsFilterFor(app, logger));
    try {
      await app.init();
      await app.startAllMicroservices();
      await app.listen(config.HTTP_PORT, config.HTTP_HOST);
    } catch (error) {
      await app.close().catch(() => undefined);
      throw error;
    }
    const port = (app.getHttpServer().address() as AddressInfo).port;
    logger.log(`${definition.name} listening on ${port}`, 'bootstrap');
    return { app, config, messaging, dataSource, telemetry, outboxRelay, logger, url: `http://127.0.0.1:${port}`, close: () => app.close() };
  } catch (error) {
    await messaging?.close();
    if (dataSource.isInitialized) await dataSource.destroy();
    throw error;
  }
}

/** Runs one start-up step, prefixing its error with what failed, so the log says where to look. */
async function dependency<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

function asArray<T>(list: MixedList<T> | undefined): T[] {
  if (!list) return [];
  return Array.isArray(list) ? list : Object.values(list as Record<string, T>);
}

/** For main.ts: boots the service, or prints why not and exits 1 (fail fast). */
export async function runService<S extends z.ZodType<CommonConfig, z.ZodTypeDef, unknown>>(definition: ServiceDefinition<S>): Promise<RunningService<z.infer<S>>> {
  try {
    const service = await bootstrapService(definition);
    // Graceful shutdown: stop consumers, relay, connections, then exit 0 (a second signal forces it).
    const shutdown = (signal: NodeJS.Signals) => {
      process.removeAllListeners('SIGTERM');
      process.removeAllListeners('SIGINT');
      process.once('SIGTERM', () => process.exit(1));
      process.once('SIGINT', () => process.exit(1));
      service.logger.log(`${signal}: shutting down`, 'bootstrap');
      service.close().then(
        () => process.exit(0),
        (error: unknown) => {
          service.logger.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`, 'bootstrap');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
    return service;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: 'error', service: definition.name, msg: `failed to start: ${message}` }) + '\n');
    process.exit(1);
  }
}
