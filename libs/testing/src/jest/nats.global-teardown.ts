import type { AuthNatsServer } from '../nats-server';

/** Jest globalTeardown: stops the run's nats-server and removes its store. */
export default async function tearDownTestNats(): Promise<void> {
  await (globalThis as { __gridledgerTestNats?: AuthNatsServer }).__gridledgerTestNats?.stop();
}
