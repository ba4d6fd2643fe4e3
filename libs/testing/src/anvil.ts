import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { HDNodeWallet } from 'ethers';
import { freePort } from './wait-for';

/**
 * A real anvil (Foundry's EVM dev node) for integration tests and the local stack.
 *
 * The binary is run directly, never through `npx anvil`: killing npx leaves anvil running.
 * Each instance gets a free port unless one is given, and is stopped by its own PID.
 */
export const ANVIL_BINARY = join(require.resolve('@foundry-rs/anvil-linux-amd64/package.json'), '..', 'bin', 'anvil');

/** Anvil's well-known development mnemonic; its accounts hold 10,000 ETH each. */
export const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

/** Private key of anvil's development account `index` (0-based). Test use only. */
export function anvilDevKey(index: number): string {
  return HDNodeWallet.fromPhrase(ANVIL_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).privateKey;
}

export interface StartAnvilOptions {
  /** Port to listen on; a free one is picked when omitted. */
  readonly port?: number;
  /** Seconds between blocks; omitted means a block per transaction (automine). */
  readonly blockTime?: number;
  readonly chainId?: number;
  /** Loads state from this file at start and dumps it there on stop, so a restart keeps the chain. */
  readonly statePath?: string;
  /** Milliseconds to wait for the node to answer JSON-RPC. */
  readonly readyTimeoutMs?: number;
  readonly extraArgs?: readonly string[];
}

export interface AnvilInstance {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** A plain JSON-RPC call (no ethers), throwing on an RPC error. */
  rpc<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>;
  /** Freezes the process (SIGSTOP): the port stays open but nothing answers. */
  pause(): void;
  resume(): void;
  /** Stops this process (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

export async function startAnvil(options: StartAnvilOptions = {}): Promise<AnvilInstance> {
  // A picked port can be taken between the probe and anvil's bind; try a few.
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(port, options);
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function launch(port: number, options: StartAnvilOptions): Promise<AnvilInstance> {
  const args = ['--host', '127.0.0.1', '--port', String(port), '--mnemonic', ANVIL_MNEMONIC, '--silent'];
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.chainId !== undefined) args.push('--chain-id', String(options.chainId));
  if (options.statePath !== undefined) args.push('--state', options.statePath);
  args.push(...(options.extraArgs ?? []));

  const child = spawn(ANVIL_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const rpc = <T>(method: string, params: readonly unknown[] = []): Promise<T> => jsonRpc<T>(url, method, params);

  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`anvil exited with ${exitCode} before answering on ${url}: ${stderr.trim()}`);
    try {
      await rpc('eth_chainId');
      break;
    } catch {
      if (Date.now() > deadline) {
        await kill(child, exited);
        throw new Error(`anvil did not answer on ${url} within ${options.readyTimeoutMs ?? 10_000} ms: ${stderr.trim()}`);
      }
      await sleep(25);
    }
  }

  const pid = child.pid;
  if (pid === undefined) throw new Error('anvil started without a pid');
  return {
    url,
    port,
    pid,
    rpc,
    pause: () => void process.kill(pid, 'SIGSTOP'),
    resume: () => void process.kill(pid, 'SIGCONT'),
    stop: () => kill(child, exited),
  };
}

async function kill(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const pid = child.pid;
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGCONT'); // a paused process cannot handle SIGTERM
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const forced = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 5_000);
  await exited;
  clearTimeout(forced);
}

async function jsonRpc<T>(url: string, method: string, params: readonly unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await response.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) throw new Error(`${method} failed: ${body.error.code} ${body.error.message}`);
  return body.result as T;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
