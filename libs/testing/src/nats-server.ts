import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { NATS_USER_NAMES, renderNatsServerConfig, type NatsUserName } from '@gridledger/messaging';
import { freePort, waitFor } from './wait-for';

/** An auth-enabled nats-server with JetStream on a free port: the users of nats-access.ts, random passwords. */
export interface AuthNatsServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly passwords: Readonly<Record<NatsUserName, string>>;
  /** The directory holding nats.conf and the JetStream store. */
  readonly dir: string;
  output(): string;
  stop(): Promise<void>;
}

export function findNatsServer(): string {
  for (const directory of [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'].filter(Boolean)) {
    const candidate = join(directory, 'nats-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  throw new Error('nats-server was not found on the PATH or in /usr/sbin (Debian/Ubuntu: apt-get install -y nats-server)');
}

export function randomNatsPasswords(): Record<NatsUserName, string> {
  return Object.fromEntries(NATS_USER_NAMES.map((name) => [name, randomBytes(18).toString('base64url')])) as Record<NatsUserName, string>;
}

/**
 * Starts nats-server with the generated config (namespaced permissions: tests use `<ns>.`
 * subjects and `<STREAM>_<ns>` streams) in a temp directory; `stop()` kills it and removes it.
 */
export async function startAuthNatsServer(options: { readonly namespaced?: boolean; readonly port?: number } = {}): Promise<AuthNatsServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'gridledger-test-nats-'));
  const passwords = randomNatsPasswords();
  const configFile = join(dir, 'nats.conf');
  writeFileSync(configFile, renderNatsServerConfig({ listen: `127.0.0.1:${port}`, storeDir: join(dir, 'jetstream'), passwords, namespaced: options.namespaced ?? true }), { mode: 0o600 });
  const child = spawn(findNatsServer(), ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited = false;
  const exit = new Promise<void>((done) => child.once('exit', () => ((exited = true), done())));
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    await Promise.race([exit, new Promise((done) => setTimeout(done, 5000))]);
    if (!exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`nats-server exited during start-up:\n${output}`);
        return /Server is ready/.test(output) && (await acceptsTcp(port));
      },
      { timeoutMs: 15_000, what: `nats-server on port ${port}` },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `nats://127.0.0.1:${port}`, port, pid: child.pid ?? -1, passwords, dir, output: () => output, stop };
}

function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
