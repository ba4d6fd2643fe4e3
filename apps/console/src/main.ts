import { ConfigError } from '@gridledger/service-kit';
import { loadConsoleConfig } from './config';
import { startConsoleServer } from './server';

/** `node -r @swc-node/register apps/console/src/main.ts`: the console server (see apps/console/README.md). */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConsoleConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`console: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const server = await startConsoleServer(config);
  process.stdout.write(`console at ${server.url}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`console failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
