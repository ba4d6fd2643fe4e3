import type { ServiceDefinition } from '@gridledger/service-kit';
import { chainBridgeApiDocument, chainFinalizerApiDocument } from './api-document';
import { AppModule, FinalizerModule } from './app.module';
import { chainModeOf, configSchema } from './config';
import { FINALIZER_SCHEMA, MIGRATIONS, SCHEMA } from './migrations';

/**
 * Everything bootstrapService needs; tests pass `env` to boot it in-process. CHAIN_MODE picks
 * the process: the committer (service chain-bridge, schema chain_bridge) or the finalizer
 * (service chain-finalizer, schema chain_finalizer: its own tables, outbox and consumer).
 */
export function chainBridgeService(env?: Record<string, string | undefined>): ServiceDefinition<typeof configSchema> {
  if (chainModeOf(env ?? process.env) === 'finalizer') {
    // It logs in to NATS as chain-bridge (CHAIN_NATS_USER/PASSWORD): the same streams, its own consumer.
    return { name: 'chain-finalizer', natsUser: 'chain-bridge', schema: FINALIZER_SCHEMA, configSchema, appModule: FinalizerModule, migrations: MIGRATIONS, env, apiDocument: chainFinalizerApiDocument() };
  }
  return { name: 'chain-bridge', schema: SCHEMA, configSchema, appModule: AppModule, migrations: MIGRATIONS, env, apiDocument: chainBridgeApiDocument() };
}
