import type { ServiceDefinition } from '@gridledger/service-kit';
import { meterIngestApiDocument } from './api-document';
import { AppModule } from './app.module';
import { configSchema } from './config';
import { MIGRATIONS, SCHEMA } from './migrations';

/** Everything bootstrapService needs; tests pass `env` to boot it in-process. */
export function meterIngestService(env?: Record<string, string | undefined>): ServiceDefinition<typeof configSchema> {
  return { name: 'meter-ingest', schema: SCHEMA, configSchema, appModule: AppModule, migrations: MIGRATIONS, env, apiDocument: meterIngestApiDocument() };
}
