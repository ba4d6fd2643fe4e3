import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NATS_USER_NAMES, renderNatsServerConfig, type NatsUserName } from '@gridledger/messaging';
import { startAnvil, type AnvilInstance } from '@gridledger/testing';
import { ensureDatabase, type LocalStack } from '../stack';
import { ManagedProcess } from '../stack/managed-process';
import { resolveNatsServer } from '../stack/nats.launcher';
import { findFreePort } from '../stack/ports';
import { probeNats, probePostgres } from '../stack/probes';
import { waitUntil } from '../stack/wait-until';

/**
 * Infrastructure the chaos suite and the latency bench own: their own nats-server, Postgres
 * cluster and anvil on free ports, in a throwaway directory, so restarting them never touches
 * the machine's shared NATS and Postgres. Each can be restarted keeping its data (JetStream
 * store, Postgres data directory, anvil's dumped state) on the same port.
 */
export interface OwnInfrastructure extends LocalStack {
  readonly anvil: () => AnvilInstance;
  /** Stops nats-server (SIGTERM: JetStream flushes) and starts it again on its store. */
  restartNats(): Promise<void>;
  /** `pg_ctl stop -m immediate` (a crash: recovery from the WAL at start) and start again. */
  restartPostgres(): Promise<void>;
  /** Stops anvil (it dumps its state) and starts it again from that state on the same port. */
  restartEvm(): Promise<void>;
}

export interface OwnInfrastructureOptions {
  /** Seconds between anvil's blocks; omitted: a block per transaction (the demo's pacer adds more). */
  readonly blockTime?: number;
  readonly log: (line: string) => void;
}

export async function startOwnInfrastructure(options: OwnInfrastructureOptions): Promise<OwnInfrastructure> {
  const dir = mkdtempSync(join(tmpdir(), 'gridledger-own-'));
  chmodSync(dir, 0o755); // Postgres runs as its own user when we are root
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    // Idempotent: the market day stops its stack, and the chaos run stops it again on a signal.
    const pending = stops.splice(0).reverse();
    for (const stop of pending) await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const nats = await startOwnNats(join(dir, 'nats'), await findFreePort(), options.log);
    stops.push(() => nats.stop());
    const postgres = await startOwnPostgres(join(dir, 'postgres', 'data'), await findFreePort(), options.log);
    stops.push(() => postgres.stop());
    const statePath = join(dir, 'anvil-state.json');
    const anvilPort = await findFreePort();
    let anvil = await startAnvil({ port: anvilPort, statePath, blockTime: options.blockTime, readyTimeoutMs: 30_000 });
    stops.push(() => anvil.stop());
    options.log(`own infrastructure in ${dir}: NATS ${nats.url}, Postgres ${postgres.url}, anvil ${anvil.url}`);
    const adminDatabaseUrl = postgres.url;
    const databaseUrl = await ensureDatabase(adminDatabaseUrl, 'gridledger');
    return {
      natsUrl: nats.url,
      natsPasswords: nats.passwords,
      databaseUrl,
      adminDatabaseUrl,
      rpcUrl: anvil.url,
      components: [],
      anvil: () => anvil,
      stop: stopAll,
      restartNats: () => nats.restart(),
      restartPostgres: () => postgres.restart(),
      async restartEvm() {
        await anvil.stop();
        anvil = await startAnvil({ port: anvilPort, statePath, blockTime: options.blockTime, readyTimeoutMs: 30_000 });
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface Restartable {
  readonly url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** An auth-enabled nats-server as the local stack runs it (the users of nats-access.ts, fresh passwords), restartable on its store. */
async function startOwnNats(dir: string, port: number, log: (line: string) => void): Promise<Restartable & { passwords: Record<NatsUserName, string> }> {
  const binary = resolveNatsServer(log, true);
  mkdirSync(dir, { recursive: true });
  const passwords = Object.fromEntries(NATS_USER_NAMES.map((name) => [name, randomBytes(18).toString('base64url')])) as Record<NatsUserName, string>;
  const configFile = join(dir, 'nats.conf');
  writeFileSync(configFile, renderNatsServerConfig({ listen: `127.0.0.1:${port}`, storeDir: join(dir, 'jetstream'), passwords, namespaced: true }), { mode: 0o600 });
  const start = async (): Promise<ManagedProcess> => {
    const server = ManagedProcess.start('nats-server', binary, ['-c', configFile]);
    await waitUntil(
      `nats-server on port ${port}`,
      async () => {
        if (server.hasExited) throw new Error(`nats-server exited during start-up:\n${server.output()}`);
        const probe = await probeNats('127.0.0.1', port, 500);
        return probe.ok && probe.detail.jetstream;
      },
      30_000,
    );
    return server;
  };
  let server = await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    passwords,
    async restart() {
      await server.stop(15_000);
      server = await start();
    },
    stop: () => server.stop(15_000),
  };
}

/** The newest of Debian's PostgreSQL installations (/usr/lib/postgresql/<major>/bin). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  if (majors.length === 0) throw new Error('no PostgreSQL server binaries in /usr/lib/postgresql/<major>/bin: install them with `apt-get install -y postgresql`');
  return join(root, majors.sort((a, b) => Number(b) - Number(a))[0], 'bin');
}

async function startOwnPostgres(dataDir: string, port: number, log: (line: string) => void): Promise<Restartable> {
  const bin = postgresBinDir();
  // initdb and postgres refuse to run as root: as root they run as Debian's `postgres` user.
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const run = (tool: string, args: string[]): void => {
    const command = asRoot ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
    const result = spawnSync(command[0], command.slice(1), { encoding: 'utf8', cwd: '/' });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  };
  const parent = join(dataDir, '..');
  mkdirSync(parent, { recursive: true });
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(parent, uid, gid);
  }
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  // fsync off: a process crash loses nothing the OS already has; only a machine crash would.
  const serverOptions = `-p ${port} -k ${parent} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB`;
  const start = async (): Promise<void> => {
    run('pg_ctl', ['-D', dataDir, '-l', join(parent, 'postgres.log'), '-o', serverOptions, '-w', '-t', '60', 'start']);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitUntil(`Postgres on port ${port}`, async () => (await probePostgres(url, 500)).ok, 60_000, 200);
  };
  await start();
  log(`Postgres ${bin} cluster in ${dataDir}`);
  // pg_ctl detaches the server: if this process ends without stop(), stop the cluster still.
  let stopped = false;
  const stopOnExit = (): void => {
    if (!stopped) spawnSync(asRoot ? 'runuser' : join(bin, 'pg_ctl'), [...(asRoot ? ['-u', 'postgres', '--', join(bin, 'pg_ctl')] : []), '-D', dataDir, '-m', 'immediate', 'stop'], { stdio: 'ignore' });
  };
  process.once('exit', stopOnExit);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart() {
      run('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      await start();
    },
    async stop() {
      stopped = true;
      process.removeListener('exit', stopOnExit);
      run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
    },
  };
}

function postgresUser(): { uid: number; gid: number } {
  const result = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const groups = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (result.status !== 0 || groups.status !== 0) throw new Error('running as root needs the `postgres` user (Debian creates it with the postgresql package)');
  return { uid: Number(result.stdout.trim()), gid: Number(groups.stdout.trim()) };
}
