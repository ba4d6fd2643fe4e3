import { NATS_USER_NAMES, natsPasswordVariable } from '@gridledger/messaging';
import { startAuthNatsServer, type AuthNatsServer } from '../nats-server';

/**
 * Jest globalSetup of the integration and e2e projects: one auth-enabled nats-server for the
 * whole run (free port, temp JetStream store). Its URL goes to TEST_NATS_URL (and NATS_URL) and every user's
 * password to the variable the services read (METER_INGEST_NATS_PASSWORD, …,
 * NATS_OPERATOR_PASSWORD), so spawned services and the CLI find their own credentials.
 */
export default async function setUpTestNats(): Promise<void> {
  const server = await startAuthNatsServer({ namespaced: true });
  (globalThis as { __gridledgerTestNats?: AuthNatsServer }).__gridledgerTestNats = server;
  process.env.TEST_NATS_URL = server.url;
  // Services a test spawns without NATS_URL would otherwise land on a default 127.0.0.1:4222.
  process.env.NATS_URL = server.url;
  for (const name of NATS_USER_NAMES) process.env[natsPasswordVariable(name)] = server.passwords[name];
  // A test's own service definitions (names that are no NATS user) log in as the operator.
  process.env.NATS_USER = 'operator';
  process.env.NATS_PASSWORD = server.passwords.operator;
}
