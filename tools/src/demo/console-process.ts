import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnService, type SpawnedService } from '@gridledger/testing';
import type { OpenMarket } from './market-day';

/**
 * The web console beside an open market (`npm run demo -- --keep`, the console's browser
 * test): builds the web app when asked or missing, then runs apps/console's server as a
 * child process on a free port, pointed at the market's services, streams and chain.
 */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const CONSOLE_DIST = join(REPO_ROOT, 'apps', 'console', 'dist');

export function buildConsoleWeb(options: { force: boolean }): void {
  if (!options.force && existsSync(join(CONSOLE_DIST, 'index.html'))) return;
  const vite = join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
  const run = spawnSync(process.execPath, [vite, 'build', '--config', join(REPO_ROOT, 'apps', 'console', 'vite.config.mjs'), '--logLevel', 'warn'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the console's web build failed:\n${run.stdout}\n${run.stderr}`);
}

export interface RunningConsole {
  readonly url: string;
  readonly process: SpawnedService;
}

export async function startConsole(market: OpenMarket, port?: number): Promise<RunningConsole> {
  const process = await spawnService({
    entry: 'apps/console/src/main.ts',
    port,
    // Loading the server's TypeScript takes a while on a busy machine (swc on the fly).
    readyTimeoutMs: 180_000,
    env: {
      NATS_URL: market.natsUrl,
      NATS_OPERATOR_PASSWORD: market.natsOperatorPassword,
      NATS_NAMESPACE: market.namespace,
      CONSOLE_METER_INGEST_URL: market.services.url('meter-ingest'),
      CONSOLE_BALANCING_URL: market.services.url('balancing'),
      CONSOLE_CAPACITY_URL: market.services.url('capacity-market'),
      CONSOLE_CHAIN_BRIDGE_URL: market.services.url('chain-bridge'),
      CONSOLE_CHAIN_RPC_URL: market.rpcUrl,
      CONSOLE_CASCADE_ADDRESS: market.cascadeAddress,
      CONSOLE_STATIC_DIR: CONSOLE_DIST,
    },
  });
  return { url: process.url, process };
}
