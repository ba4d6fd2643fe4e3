import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type ConnectionOptions } from 'nats';
import { NATS_USER_NAMES, natsAuthOptions, natsPasswordVariable } from '@gridledger/messaging';
import { findNatsServer, freePort, waitFor } from '@gridledger/testing';
import { renderKustomization, type K8sObject } from '../src/ci/k8s/render-kustomization';

jest.setTimeout(60_000);

// The dev overlay's NATS config, run by a real nats-server: TLS with the dev certificate, the
// generated users with the passwords of the Secret, the cluster block left out (one node),
// local paths and ports.
describe('k8s NATS config on a real nats-server (dev overlay)', () => {
  const objects = renderKustomization(join(resolve(__dirname, '..', '..', 'k8s'), 'overlays/dev'));
  const secret = (name: string): Record<string, string> => (objects.find((o: K8sObject) => o.kind === 'Secret' && o.metadata.name === name) as unknown as { stringData: Record<string, string> }).stringData;
  const users = secret('gridledger-nats-users');
  let dir: string;
  let server: ChildProcess | undefined;
  let port: number;
  const tls = (): ConnectionOptions['tls'] => ({ caFile: join(dir, 'tls', 'ca.crt'), servername: 'nats' }) as ConnectionOptions['tls'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gridledger-k8s-nats-'));
    const certs = secret('gridledger-nats-tls');
    mkdirSync(join(dir, 'tls'));
    for (const file of ['ca.crt', 'tls.crt', 'tls.key']) writeFileSync(join(dir, 'tls', file), certs[file], { mode: 0o600 });
    port = await freePort();
    const nats = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'nats-config') as unknown as { data: Record<string, string> };
    const config = nats.data['nats.conf']
      .replace(/^cluster \{[\s\S]*?^\}/m, '')
      .replace(/^port: 4222$/m, `port: ${port}\nlisten: 127.0.0.1:${port}`)
      .replace(/^http_port: 8222$/m, '')
      .replace(/\/etc\/nats\/tls\//g, `${join(dir, 'tls')}/`)
      .replace('/var/run/nats/nats.pid', join(dir, 'nats.pid'))
      .replace('store_dir: /data', `store_dir: ${join(dir, 'data')}`)
      .replace(/max_file_store: \S+/, 'max_file_store: 1GB')
      // Debian's nats-server 2.9 predates sync_interval (the k8s image runs 2.11).
      .replace(/^\s*sync_interval: always$/m, '');
    writeFileSync(join(dir, 'nats.conf'), config);
    const env = { ...process.env, POD_NAME: 'nats-0', ...Object.fromEntries(NATS_USER_NAMES.map((name) => [natsPasswordVariable(name), users[name]])) };
    server = spawn(findNatsServer(), ['-c', join(dir, 'nats.conf')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => {
      if (server?.exitCode !== null) throw new Error(`nats-server exited:\n${output}`);
      return /Server is ready/.test(output);
    }, { timeoutMs: 20_000, what: 'the k8s-configured nats-server' });
  });
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a service over TLS with its password, and refuses plaintext, anonymous and wrong passwords', async () => {
    // As a service connects (NATS_TLS_CA), with the certificate's name `nats` for 127.0.0.1.
    const balancing = await connect({ servers: `tls://127.0.0.1:${port}`, reconnect: false, ...natsAuthOptions({ credentials: { user: 'balancing', password: users.balancing } }), tls: tls() });
    await balancing.request('$JS.API.INFO', undefined, { timeout: 2000 });
    await balancing.close();
    const operator = await connect({ servers: `127.0.0.1:${port}`, user: 'operator', pass: users.operator, tls: tls(), reconnect: false });
    const jsm = await operator.jetstreamManager();
    expect((await jsm.getAccountInfo()).limits).toBeDefined();
    await operator.close();
    await expect(connect({ servers: `127.0.0.1:${port}`, tls: tls(), reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: `127.0.0.1:${port}`, user: 'balancing', pass: 'wrong', tls: tls(), reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: `127.0.0.1:${port}`, user: 'balancing', pass: users.balancing, reconnect: false, timeout: 3000 })).rejects.toThrow();
  });
});
