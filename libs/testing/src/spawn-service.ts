import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, waitFor } from './wait-for';

export interface SpawnedService {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** What the process wrote so far (stdout and stderr; the last megabyte or more). */
  output(): string;
  /** kill -9: no shutdown hooks, no acks, no flushes. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit (graceful shutdown). */
  stop(timeoutMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

export interface SpawnOptions {
  /** Path to the TypeScript entry, relative to the repo root or absolute. */
  readonly entry: string;
  readonly env?: Record<string, string>;
  /** Node flags before the entry, for those NODE_OPTIONS refuses (e.g. `--cpu-prof`). */
  readonly nodeArgs?: readonly string[];
  /** Defaults to a free port passed as HTTP_PORT. */
  readonly port?: number;
  readonly readyPath?: string;
  readonly readyTimeoutMs?: number;
  /** Don't wait for readiness (for tests of a failing start). */
  readonly waitReady?: boolean;
}

const REPO_ROOT = resolve(__dirname, '../../..');

/** Runs `node -r @swc-node/register <entry>` and waits until it answers readiness with 200. */
export async function spawnService(options: SpawnOptions): Promise<SpawnedService> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), '-r', '@swc-node/register', resolve(REPO_ROOT, options.entry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, TZ: 'UTC', HTTP_PORT: String(port), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Keep the tail only: a long benchmark run must not grow the test's memory without bound.
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const url = `http://127.0.0.1:${port}`;
  const service: SpawnedService = {
    pid: child.pid ?? -1,
    port,
    url,
    output: () => output,
    exited,
    async kill() {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
    async stop(timeoutMs = 10_000) {
      if (hasExited) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  if (options.waitReady === false) return service;
  try {
    await waitFor(
      async () => {
        if (hasExited) throw new Error(`exited early:\n${output}`);
        const response = await fetch(url + (options.readyPath ?? '/health/ready')).catch(() => undefined);
        return response?.status === 200;
      },
      { timeoutMs: options.readyTimeoutMs ?? 30_000, intervalMs: 100, what: `${options.entry} to be ready` },
    );
  } catch (error) {
    await service.kill();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- output ---\n${output}`);
  }
  return service;
}
