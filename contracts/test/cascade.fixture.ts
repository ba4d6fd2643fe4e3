import { Contract, ContractTransactionResponse, JsonRpcProvider, TransactionReceipt, Wallet, id } from 'ethers';
import { AnvilInstance, anvilDevKey, startAnvil } from '@gridledger/testing';
import { DeployCascadeOptions, deployCascade } from '../src';

export type Totals = [bigint, bigint, bigint, bigint];

export const ROOT_A = `0x${'aa'.repeat(32)}`;
export const ROOT_B = `0x${'bb'.repeat(32)}`;
export const DIGEST = id('inputs: MPO manifests');

/** Balanced totals: feed-in − feed-out − schedule net = imbalance. */
export const balanced = (feedIn: bigint, feedOut: bigint, scheduleNet = 0n): Totals => [feedIn, feedOut, scheduleNet, feedIn - feedOut - scheduleNet];

export const WALLET_NAMES = ['brpNorth', 'mpoNorth', 'brpSouth', 'tso', 'stranger', 'brpEast'] as const;
export type WalletName = (typeof WALLET_NAMES)[number];

/**
 * One anvil with the cascade deployed, a snapshot to return to after each test, and the
 * wallets of the market's roles. `now` is the chain's clock at deployment: periods are taken
 * relative to it (commits are accepted for ended periods inside the correction window).
 */
export class CascadeFixture {
  anvil!: AnvilInstance;
  provider!: JsonRpcProvider;
  /** A plain wallet: a refused transaction must not leave a counted nonce behind. */
  operator!: Wallet;
  wallets!: Record<WalletName, Wallet>;
  cascade!: Contract;
  /** The chain's clock at deployment, unix seconds. */
  now = 0n;
  private snapshot = '';

  /** The start of the period `quarterHoursAgo` quarter hours before the one in progress. */
  periodAgo(quarterHoursAgo: number): bigint {
    return this.now - (this.now % 900n) - BigInt(quarterHoursAgo) * 900n;
  }

  async setUp(options: Partial<DeployCascadeOptions> = {}): Promise<void> {
    this.anvil = await startAnvil();
    this.connect();
    this.now = BigInt((await this.provider.getBlock('latest'))?.timestamp ?? 0);
    this.cascade = await this.deploy(options);
    this.snapshot = await this.anvil.rpc<string>('evm_snapshot');
  }

  /** Deploys another cascade (other groups, grants, window, opening) on the same chain. */
  async deploy(options: Partial<DeployCascadeOptions> = {}): Promise<Contract> {
    const w = this.wallets;
    const deployed = await deployCascade(this.operator, {
      groups: ['GRP-NORTH', 'GRP-SOUTH'],
      grants: [
        { role: 'BRP', groupId: 'GRP-NORTH', account: w.brpNorth.address },
        { role: 'MPO', groupId: 'GRP-NORTH', account: w.mpoNorth.address },
        { role: 'BRP', groupId: 'GRP-SOUTH', account: w.brpSouth.address },
        { role: 'TSO', account: w.tso.address },
      ],
      ...options,
    });
    return deployed.cascade.connect(this.operator) as Contract;
  }

  /** The period in progress on the chain's clock now (the latest block's). */
  async currentPeriod(): Promise<bigint> {
    const now = BigInt((await this.provider.getBlock('latest'))?.timestamp ?? 0);
    return now - (now % 900n);
  }

  /** From now on, reset() returns to the chain as it is now. */
  async keepState(): Promise<void> {
    this.snapshot = await this.anvil.rpc<string>('evm_snapshot');
  }

  /** Back to the state after setUp (or the last keepState); a fresh provider (ethers caches nonces a revert makes stale). */
  async reset(): Promise<void> {
    await this.anvil.rpc('evm_revert', [this.snapshot]);
    this.snapshot = await this.anvil.rpc<string>('evm_snapshot');
    this.connect();
  }

  async tearDown(): Promise<void> {
    this.provider?.destroy();
    await this.anvil?.stop();
  }

  as(who: WalletName | 'operator', contract = this.cascade): Contract {
    return contract.connect(who === 'operator' ? this.operator : this.wallets[who]) as Contract;
  }

  commit(who: WalletName, group: string, period: bigint, version: number, totals: Totals, root = ROOT_A, meters = 10n, contract = this.cascade): Promise<TransactionReceipt> {
    return mined(this.as(who, contract).getFunction('commitPeriod')(group, period, version, totals, root, meters, DIGEST));
  }

  finalize(who: WalletName, period: bigint, totals: Totals, contract = this.cascade): Promise<TransactionReceipt> {
    return mined(this.as(who, contract).getFunction('finalizePeriod')(period, totals));
  }

  async admin(name: string, ...args: unknown[]): Promise<TransactionReceipt> {
    return mined(this.as('operator').getFunction(name)(...args));
  }

  /** Moves the chain's clock forward (and mines a block at the new time). */
  async advance(seconds: number): Promise<void> {
    await this.anvil.rpc('evm_increaseTime', [seconds]);
    await this.anvil.rpc('evm_mine', []);
  }

  eventNames(receipt: TransactionReceipt, contract = this.cascade): (string | undefined)[] {
    return receipt.logs.map((log) => contract.interface.parseLog(log)?.name);
  }

  private connect(): void {
    this.provider?.destroy();
    this.provider = new JsonRpcProvider(this.anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 });
    this.operator = new Wallet(anvilDevKey(0), this.provider);
    this.wallets = Object.fromEntries(WALLET_NAMES.map((name, i) => [name, new Wallet(anvilDevKey(i + 1), this.provider)])) as Record<WalletName, Wallet>;
    if (this.cascade) this.cascade = this.cascade.connect(this.operator) as Contract;
  }
}

export async function mined(sent: Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  const receipt = await (await sent).wait();
  if (!receipt) throw new Error('no receipt');
  return receipt;
}
