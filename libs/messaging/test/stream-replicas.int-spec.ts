import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@gridledger/testing';
import { connectMessaging, STREAMS, type MessagingClient } from '@gridledger/messaging';

jest.setTimeout(60_000);

// A replicated stream needs a JetStream cluster: three nats-server processes (from the PATH,
// as the local stack uses) on free-ish ports, started and stopped by this test alone.
const BASE = 20_000 + Math.floor(Math.random() * 20_000);
const clientPort = (i: number) => BASE + i;
const routePort = (i: number) => BASE + 10 + i;

describe('streams: a service never lowers replicas (real 3-node NATS cluster)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridledger-nats-cluster-'));
  const servers: ChildProcess[] = [];
  let messaging: MessagingClient;

  beforeAll(async () => {
    const routes = [0, 1, 2].map((i) => `nats://127.0.0.1:${routePort(i)}`).join(',');
    for (const i of [0, 1, 2]) {
      servers.push(
        spawn('nats-server', ['-a', '127.0.0.1', '-p', String(clientPort(i)), '-js', '-sd', join(dir, `n${i}`), '-n', `replicas-test-${i}`, '--cluster_name', `replicas${BASE}`, '--cluster', `nats://127.0.0.1:${routePort(i)}`, '--routes', routes], { stdio: 'ignore' }),
      );
    }
    messaging = await waitFor(async () => connectMessaging({ url: `nats://127.0.0.1:${clientPort(0)}`, name: 'replicas-test' }).catch(() => undefined), { timeoutMs: 20_000, what: 'the cluster accepts clients' });
    // The meta leader is elected a little after the servers listen.
    await waitFor(async () => messaging.jsm.getAccountInfo().then(() => true, () => false), { timeoutMs: 20_000, what: 'JetStream cluster ready' });
  });

  afterAll(async () => {
    await messaging?.close();
    for (const server of servers) server.kill('SIGTERM');
    await Promise.all(servers.map((server) => new Promise((resolve) => (server.exitCode !== null ? resolve(null) : server.once('exit', resolve)))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates R3 streams, then refuses to start with replicas 1, naming the stream and the variable, and leaves the stream at R3', async () => {
    await waitFor(async () => messaging.ensureStreams([STREAMS.BALANCING], 3).then(() => true, () => false), { timeoutMs: 20_000, what: 'an R3 stream created' });
    expect((await messaging.jsm.streams.info('BALANCING')).config).toMatchObject({ num_replicas: 3, discard: 'new', max_bytes: STREAMS.BALANCING.maxBytes });

    await expect(messaging.ensureStreams([STREAMS.BALANCING], 1)).rejects.toThrow(
      'stream BALANCING has 3 replicas and this service is configured for 1 (NATS_STREAM_REPLICAS): refusing to lower them; set NATS_STREAM_REPLICAS=3',
    );
    expect((await messaging.jsm.streams.info('BALANCING')).config.num_replicas).toBe(3);
    // The same replicas again is an ordinary, idempotent update.
    await messaging.ensureStreams([STREAMS.BALANCING], 3);
  });
});
