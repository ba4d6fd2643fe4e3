import { connectMessaging, type MessagingClient } from '@gridledger/messaging';
import { CliFailure, messageOf } from './exit-codes';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** Connects as the services do: NATS_URL (default nats://127.0.0.1:4222) and NATS_NAMESPACE. */
export async function withMessaging<T>(env: NodeJS.ProcessEnv, use: (messaging: MessagingClient) => Promise<T>): Promise<T> {
  const url = env.NATS_URL || DEFAULT_NATS_URL;
  let messaging: MessagingClient;
  try {
    messaging = await connectMessaging({ url, namespace: env.NATS_NAMESPACE || undefined, name: 'gridledger-cli' });
  } catch (error) {
    throw new CliFailure(`cannot connect to NATS at ${url} (${messageOf(error)}); set NATS_URL, or start it with: npx gridledger stack`);
  }
  try {
    return await use(messaging);
  } finally {
    await messaging.close();
  }
}
