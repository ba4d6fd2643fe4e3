import type { RoleChain } from '@gridledger/contracts';
import { spawnService, testNatsEnv, type SpawnedService } from '@gridledger/testing';

/**
 * meter-ingest and balancing as the integrity tests run them: their own processes on the
 * test's databases, one NATS namespace, the role registry of `chain`, short polls.
 */
export function spawnMeterIngest(databaseUrl: string, namespace: string, chain: RoleChain): Promise<SpawnedService> {
  return spawnService({
    entry: 'services/meter-ingest/src/main.ts',
    env: { DATABASE_URL: databaseUrl, ...testNatsEnv(), NATS_NAMESPACE: namespace, ...chain.env, METER_INGEST_MANIFEST_INTERVAL_MS: '200', LOG_LEVEL: 'warn' },
    readyTimeoutMs: 90_000,
  });
}

/** balancing with a 1 ms gate deadline (past periods settle at once) and a re-send retried after 2 s; `overrides` last. */
export function spawnBalancing(databaseUrl: string, namespace: string, chain: RoleChain, overrides: Record<string, string> = {}): Promise<SpawnedService> {
  return spawnService({
    entry: 'services/balancing/src/main.ts',
    env: {
      DATABASE_URL: databaseUrl,
      ...testNatsEnv(),
      NATS_NAMESPACE: namespace,
      ...chain.env,
      BALANCING_GATE_DEADLINE_MS: '1',
      BALANCING_SETTLE_INTERVAL_MS: '200',
      BALANCING_MERKLE_THREADS: '0',
      BALANCING_RESEND_RETRY_MS: '2000',
      BALANCING_RECONCILE_INTERVAL_MS: '1000',
      LOG_LEVEL: 'warn',
      ...overrides,
    },
    readyTimeoutMs: 90_000,
  });
}
