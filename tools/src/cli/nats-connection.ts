import { connectMessaging, type MessagingClient } from '@gridledger/messaging';
import { CliFailure, messageOf } from './exit-codes';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * Connects as the services do: NATS_URL (default nats://127.0.0.1:4222), NATS_NAMESPACE and
 * NATS_TLS_CA, as the market operator's NATS user (NATS_OPERATOR_USER, default `operator`, and
 * NATS_OPERATOR_PASSWORD): outbox replays and dead-letter re-drives accept only the operator.
 */
export async function withMessaging<T>(env: NodeJS.ProcessEnv, use: (messaging: MessagingClient) => Promise<T>): Promise<T> {
  const url = env.NATS_URL || DEFAULT_NATS_URL;
  let messaging: MessagingClient;
  try {
    const password = env.NATS_OPERATOR_PASSWORD || undefined;
    const credentials = password ? { user: env.NATS_OPERATOR_USER || 'operator', password } : undefined;
    messaging = await connectMessaging({ url, namespace: env.NATS_NAMESPACE || undefined, name: 'gridledger-cli', credentials, tlsCaFile: env.NATS_TLS_CA || undefined });
  } catch (error) {
    throw new CliFailure(`cannot connect to NATS at ${url} (${messageOf(error)}); set NATS_URL (and NATS_OPERATOR_PASSWORD for an auth-enabled server), or start it with: npx gridledger stack`);
  }
  try {
    return await use(messaging);
  } finally {
    await messaging.close();
  }
}
