import { NATS_USER_NAMES, natsPasswordVariable } from '@gridledger/messaging';
import type { LocalStack } from './local-stack';

/**
 * The environment a service or a test process needs to find the stack. The PG* variables
 * make a bare `new pg.Client()` land on the same server; the TEST_* ones are what
 * @gridledger/testing reads (throwaway databases, NATS namespaces). Every NATS user's password
 * goes to the variable its reader expects (METER_INGEST_NATS_PASSWORD, …, NATS_OPERATOR_PASSWORD
 * for the CLI), so services started in this environment each log in as themselves.
 */
export function stackEnvironment(stack: LocalStack): Record<string, string> {
  const admin = new URL(stack.adminDatabaseUrl);
  const env: Record<string, string> = {
    NATS_URL: stack.natsUrl,
    DATABASE_URL: stack.databaseUrl,
    DATABASE_ADMIN_URL: stack.adminDatabaseUrl,
    PG_ADMIN_URL: stack.adminDatabaseUrl,
    PGHOST: admin.hostname,
    PGPORT: admin.port || '5432',
    PGUSER: decodeURIComponent(admin.username),
    TEST_NATS_URL: stack.natsUrl,
    TEST_PG_HOST: admin.hostname,
    TEST_PG_PORT: admin.port || '5432',
    TEST_PG_USER: decodeURIComponent(admin.username),
  };
  for (const name of NATS_USER_NAMES) env[natsPasswordVariable(name)] = stack.natsPasswords[name];
  if (stack.rpcUrl) env.CHAIN_RPC_URL = stack.rpcUrl;
  return env;
}
