import { offsetClock, systemClock, type ServiceDefinition } from '@gridledger/service-kit';
import { capacityMarketApiDocument } from './api-document';
import { AppModule } from './app.module';
import { configSchema } from './config';
import { MIGRATIONS, SCHEMA } from './migrations';

/** Everything bootstrapService needs; tests pass `env` to boot it in-process. */
export function capacityMarketService(env?: Record<string, string | undefined>): ServiceDefinition<typeof configSchema> {
  return {
    name: 'capacity-market',
    schema: SCHEMA,
    configSchema,
    appModule: AppModule,
    migrations: MIGRATIONS,
    env,
    apiDocument: capacityMarketApiDocument(),
    consumers: (config) => ({ prefix: config.CAPACITY_CONSUMER_PREFIX }),
    // Tests and replays of a past day: the clock starts at CAPACITY_CLOCK_START and runs at real speed.
    clock: (config) => (config.CAPACITY_CLOCK_START === undefined ? systemClock : offsetClock(Date.parse(config.CAPACITY_CLOCK_START))),
  };
}
