import { Interface, JsonRpcProvider, type Log } from 'ethers';
import { ROLE_REGISTRY_ABI, RoleSet, type Role, type RoleView } from '@gridledger/auth';
import type { JsonLogger } from '@gridledger/telemetry';
import { meter } from '@gridledger/telemetry';
import { PollingLoop } from '../polling-loop';

const registryInterface = new Interface(ROLE_REGISTRY_ABI as unknown as string[]);
const GRANTED = registryInterface.getEvent('GroupRoleGranted')!.topicHash;
const REVOKED = registryInterface.getEvent('GroupRoleRevoked')!.topicHash;
/** Blocks per eth_getLogs call (public nodes cap the range). */
const LOG_CHUNK = 10_000;

/** Lag of every running mirror, read when the metric is scraped (so it grows while the node is unreachable). */
const mirrorLag = new Map<object, { readonly value: number; readonly attributes: Record<string, string> }>();
let lagRegistered = false;

function registerLagGauge(): void {
  if (lagRegistered) return;
  lagRegistered = true;
  meter()
    .createObservableGauge('gridledger_role_mirror_lag_seconds', { description: 'Seconds since the role mirror last caught up with the chain head', unit: 's' })
    .addCallback((result) => mirrorLag.forEach((reading) => result.observe(reading.value, reading.attributes)));
}

/** Reports `owner`'s lag, read at each scrape. */
function trackMirrorLag(owner: object, lagSeconds: () => number, attributes: Record<string, string>): void {
  registerLagGauge();
  mirrorLag.set(owner, {
    get value() {
      return lagSeconds();
    },
    attributes,
  });
}

export interface RoleDirectoryOptions {
  readonly rpcUrl: string;
  readonly registryAddress: string;
  readonly fromBlock?: number;
  readonly pollMs?: number;
  readonly logger?: JsonLogger;
}

/**
 * The RoleRegistry mirrored in memory (TEAM.md: `has(role, scope, address)`): the registry's
 * GroupRoleGranted / GroupRoleRevoked events read from `fromBlock` at start, then polled every
 * `pollMs` (1 s), applied in chain order. A grant or revocation reaches the service within
 * about one poll plus the node's block time. `has` is a set lookup, no chain call.
 * Metric `gridledger_role_mirror_lag_seconds`: time since the mirror last caught up with the
 * node's head (grows while the node cannot be reached; roles then stay as last seen).
 */
export class RoleDirectory implements RoleView {
  private readonly roles = new RoleSet();
  private readonly provider: JsonRpcProvider;
  private readonly loop: PollingLoop;
  private nextBlock: number;
  private caughtUpAtMs = 0;
  private failures = 0;

  constructor(private readonly options: RoleDirectoryOptions) {
    this.provider = new JsonRpcProvider(options.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, polling: false });
    this.nextBlock = options.fromBlock ?? 0;
    this.loop = new PollingLoop(options.pollMs ?? 1000, () => this.catchUp(), (error) => this.onError(error));
    trackMirrorLag(this, () => (Number.isFinite(this.lagMs()) ? this.lagMs() / 1000 : 0), {});
  }

  /** Reads every role change so far, then follows new ones. Fails when the node cannot be read. */
  async start(): Promise<void> {
    await this.catchUp();
    this.loop.start();
  }

  async stop(): Promise<void> {
    mirrorLag.delete(this);
    await this.loop.stop();
    this.provider.destroy();
  }

  has(role: Role, scope: string, address: string): boolean {
    return this.roles.has(role, scope, address);
  }

  /** Chain id of the node (for the signed-request domain). */
  async chainId(): Promise<bigint> {
    return BigInt(await this.provider.send('eth_chainId', []));
  }

  /** Milliseconds since the mirror last caught up with the head (Infinity before the first time). */
  lagMs(): number {
    return this.caughtUpAtMs === 0 ? Number.POSITIVE_INFINITY : Date.now() - this.caughtUpAtMs;
  }

  /** Applies every role event up to the node's head. */
  async catchUp(): Promise<void> {
    const head = await this.provider.getBlockNumber();
    while (this.nextBlock <= head) {
      const toBlock = Math.min(head, this.nextBlock + LOG_CHUNK - 1);
      const logs = await this.provider.getLogs({ address: this.options.registryAddress, topics: [[GRANTED, REVOKED]], fromBlock: this.nextBlock, toBlock });
      for (const log of [...logs].sort(byChainOrder)) this.apply(log);
      this.nextBlock = toBlock + 1;
    }
    this.caughtUpAtMs = Date.now();
    if (this.failures > 0) this.options.logger?.log(`role mirror caught up again at block ${head} after ${this.failures} failed polls`, 'RoleDirectory');
    this.failures = 0;
  }

  private apply(log: Log): void {
    const [, roleId, scopeKey, accountTopic] = log.topics;
    this.roles.apply({ granted: log.topics[0] === GRANTED, roleId, scopeKey, account: `0x${accountTopic.slice(26)}` });
  }

  private onError(error: unknown): void {
    this.failures += 1;
    // One line per minute of outage, not one per second.
    if (this.failures === 1 || this.failures % 60 === 0) {
      this.options.logger?.warn(`role mirror cannot read the registry (${this.failures} failed polls; roles stay as last seen): ${error instanceof Error ? error.message : String(error)}`, 'RoleDirectory');
    }
  }
}

function byChainOrder(a: Log, b: Log): number {
  return a.blockNumber - b.blockNumber || a.index - b.index;
}
