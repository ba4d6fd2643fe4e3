import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { connectMessaging, NATS_USER_NAMES, natsAuthOptions, natsPasswordVariable, type MessagingClient, type NatsUserName } from '@gridledger/messaging';

/**
 * The run's NATS: an auth-enabled nats-server started once per jest run by the integration and
 * e2e projects' globalSetup (src/jest/nats.global-setup.ts), which also puts every user's
 * password into the environment. Connect ONLY through connectTestNats / connectTestMessaging /
 * testNatsEnv, so a test speaks as a NATS user (the operator unless it says otherwise).
 */
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A user's credentials on the test server (undefined when the run's NATS has no auth). */
export function testNatsCredentials(user: NatsUserName = 'operator'): { user: string; password: string } | undefined {
  const password = process.env[natsPasswordVariable(user)];
  return password ? { user, password } : undefined;
}

/** A plain NATS connection as `user` (default: the operator, who may do anything). */
export function connectTestNats(options: { readonly user?: NatsUserName; readonly name?: string; readonly url?: string } = {}): Promise<NatsConnection> {
  return connect({ servers: options.url ?? TEST_NATS_URL, name: options.name ?? 'test', ...natsAuthOptions({ credentials: testNatsCredentials(options.user) }) });
}

/** A MessagingClient as `user` (default: the operator); `name` is also its Nats-Msg-Id publisher. */
export function connectTestMessaging(options: { readonly namespace?: string; readonly name: string; readonly user?: NatsUserName; readonly url?: string }): Promise<MessagingClient> {
  return connectMessaging({ url: options.url ?? TEST_NATS_URL, namespace: options.namespace, name: options.name, credentials: testNatsCredentials(options.user) });
}

/**
 * The NATS part of a service's environment: NATS_URL plus every user's password variable
 * (each service picks its own), and NATS_USER/NATS_PASSWORD = the operator for a test's own
 * service definitions (names that are no NATS user). For
 * `bootstrapService(xService({ ...testNatsEnv(), … }))`; spawned services inherit the passwords.
 */
export function testNatsEnv(): Record<string, string> {
  const env: Record<string, string> = { NATS_URL: TEST_NATS_URL };
  const operator = testNatsCredentials('operator');
  if (operator) Object.assign(env, { NATS_USER: operator.user, NATS_PASSWORD: operator.password });
  for (const name of NATS_USER_NAMES) {
    const password = process.env[natsPasswordVariable(name)];
    if (password) env[natsPasswordVariable(name)] = password;
  }
  return env;
}

/** A NATS namespace for one test file: subjects `<ns>.…`, streams `<NAME>_<ns>`. */
export function randomNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Deletes every stream of a namespace (call in afterAll). */
export async function deleteNamespaceStreams(namespace: string, url = TEST_NATS_URL): Promise<void> {
  const nc = await connectTestNats({ url, name: 'namespace-cleanup' });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.endsWith(`_${namespace}`)) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
}
