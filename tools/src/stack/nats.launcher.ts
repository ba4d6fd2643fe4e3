import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { NATS_USER_NAMES, renderNatsServerConfig, type NatsUserName } from '@gridledger/messaging';
import { ManagedProcess } from './managed-process';
import { probeNats } from './probes';
import { StackComponent, StackLog } from './stack-component';
import { waitUntil } from './wait-until';

const NATS_INSTALL_HELP = [
  'nats-server was not found on the PATH. Install it and run again:',
  '  Debian/Ubuntu: sudo apt-get install -y nats-server',
  '  macOS:         brew install nats-server',
  '  elsewhere:     https://github.com/nats-io/nats-server/releases (put nats-server on the PATH)',
].join('\n');

/** The PATH plus the sbin directories Debian puts servers in (often missing for non-root users). */
export function defaultSearchPath(): string {
  return [process.env.PATH ?? '', '/usr/sbin', '/usr/local/sbin'].join(delimiter);
}

export function findOnPath(binary: string, path = defaultSearchPath()): string | undefined {
  const directories = path.split(delimiter).filter((d) => d.length > 0);
  for (const directory of directories) {
    const candidate = join(directory, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Finds nats-server; installs Debian's package when we are root with apt-get, else explains how. */
export function resolveNatsServer(log: StackLog, installMissing: boolean, searchPath = defaultSearchPath()): string {
  const found = findOnPath('nats-server', searchPath);
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!installMissing || !isRoot || !findOnPath('apt-get')) throw new Error(NATS_INSTALL_HELP);
  log('nats-server is missing: installing Debian package nats-server (apt-get update && apt-get install -y nats-server)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'nats-server']]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${result.status}).\n${NATS_INSTALL_HELP}`);
  }
  const installed = findOnPath('nats-server');
  if (!installed) throw new Error(`apt-get installed nats-server but it is not on the PATH.\n${NATS_INSTALL_HELP}`);
  return installed;
}

/** NATS as the stack provides it: the server and every user's password (nats-access.ts). */
export type NatsComponent = StackComponent & { readonly passwords: Readonly<Record<NatsUserName, string>> };

/**
 * Starts an auth-enabled nats-server with JetStream on 127.0.0.1:<port>: the users of
 * nats-access.ts with fresh random passwords (namespaced permissions, for the demo's and the
 * tests' `<ns>.` subjects), config and store in a throwaway directory. No anonymous access.
 */
export async function startNats(port: number, log: StackLog, installMissing = true): Promise<NatsComponent> {
  const binary = resolveNatsServer(log, installMissing);
  const storeDir = mkdtempSync(join(tmpdir(), 'gridledger-nats-'));
  const passwords = Object.fromEntries(NATS_USER_NAMES.map((name) => [name, randomBytes(18).toString('base64url')])) as Record<NatsUserName, string>;
  const configFile = join(storeDir, 'nats.conf');
  writeFileSync(configFile, renderNatsServerConfig({ listen: `127.0.0.1:${port}`, storeDir: join(storeDir, 'jetstream'), passwords, namespaced: true }), { mode: 0o600 });
  const server = ManagedProcess.start('nats-server', binary, ['-c', configFile]);
  const removeStore = (): void => rmSync(storeDir, { recursive: true, force: true });
  let version = 'unknown';
  try {
    await waitUntil(
      `nats-server on port ${port}`,
      async () => {
        if (server.hasExited) throw new Error(`nats-server exited during start-up:\n${server.output()}`);
        const probe = await probeNats('127.0.0.1', port, 500);
        if (probe.ok) version = probe.detail.version;
        return probe.ok && probe.detail.jetstream;
      },
      15000,
    );
  } catch (error) {
    await server.stop();
    removeStore();
    throw error;
  }
  return {
    name: 'NATS',
    url: `nats://127.0.0.1:${port}`,
    origin: 'started',
    description: `nats-server ${version} with JetStream and users, pid ${server.pid}, store ${storeDir}`,
    passwords,
    stop: async () => {
      await server.stop();
      removeStore();
    },
  };
}
