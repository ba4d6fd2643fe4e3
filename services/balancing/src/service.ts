import type { ServiceDefinition } from '@gridledger/service-kit';
import { AppModule } from './app.module';
import { configSchema } from './config';
import { MIGRATIONS, SCHEMA } from './migrations';

/** Everything bootstrapService needs; tests pass `env` to boot it in-process. */
export function balancingService(env?: Record<string, string | undefined>): ServiceDefinition<typeof configSchema> {
  return {
    name: 'balancing',
    schema: SCHEMA,
    configSchema,
    appModule: AppModule,
    migrations: MIGRATIONS,
    env,
    consumers: (config) => ({ prefix: config.BALANCING_CONSUMER_PREFIX, ackWaitMs: config.BALANCING_CONSUMER_ACK_WAIT_MS }),
  };
}
