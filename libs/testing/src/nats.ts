import { randomBytes } from 'node:crypto';
import { connect } from 'nats';

export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A NATS namespace for one test file: subjects `<ns>.…`, streams `<NAME>_<ns>`. */
export function randomNamespace(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/** Deletes every stream of a namespace (call in afterAll). */
export async function deleteNamespaceStreams(namespace: string, url = TEST_NATS_URL): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const stream of jsm.streams.list()) {
      if (stream.config.name.endsWith(`_${namespace}`)) await jsm.streams.delete(stream.config.name);
    }
  } finally {
    await nc.close();
  }
}
