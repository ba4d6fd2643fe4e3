import { Interface, Log, Wallet, ZeroHash, getAddress, toBeHex } from 'ethers';
import { SettlementCascadeArtifact } from '@gridledger/contracts';
import { JsonRpcClient, RpcResponseError } from './json-rpc.client';

export const cascadeInterface = new Interface(SettlementCascadeArtifact.abi as unknown as string[]);

/**
 * The `inputsDigest` of a commit whose MPO-signed inputs are not attested: a settled event
 * without `inputsDigest` (settled without a matching meter-ingest manifest) is committed with
 * zero ("none") rather than a digest nobody signed.
 */
export const INPUTS_NOT_ATTESTED = ZeroHash;

export interface Totals {
  readonly feedInWh: bigint;
  readonly feedOutWh: bigint;
  readonly scheduleNetWh: bigint;
  readonly imbalanceWh: bigint;
}

export interface BlockRef {
  readonly number: number;
  readonly hash: string;
}

export interface Receipt {
  readonly status: 0 | 1;
  readonly blockNumber: number;
  readonly blockHash: string;
  readonly transactionHash: string;
  readonly logs: readonly Log[];
}

/** A call the contract refused, decoded to its custom error when it is one of ours. */
export interface ContractRevert {
  readonly errorName: string | null;
  readonly args: readonly unknown[];
  readonly data: string | null;
  readonly message: string;
}

/** What a simulated call came to: the gas it needs, or the contract's refusal. */
export type Simulation = { readonly ok: true; readonly gas: bigint } | { readonly ok: false; readonly revert: ContractRevert };

const totalsTuple = (t: Totals): bigint[] => [t.feedInWh, t.feedOutWh, t.scheduleNetWh, t.imbalanceWh];

/** Reads and simulates the SettlementCascade through plain JSON-RPC; amounts stay bigint. */
export class CascadeClient {
  constructor(
    readonly rpc: JsonRpcClient,
    readonly address: string,
  ) {}

  async chainId(): Promise<number> {
    return Number(BigInt(await this.rpc.call<string>('eth_chainId')));
  }

  async head(): Promise<BlockRef> {
    const block = await this.rpc.call<{ number: string; hash: string }>('eth_getBlockByNumber', ['latest', false]);
    return { number: Number(BigInt(block.number)), hash: block.hash };
  }

  async blockHashAt(blockNumber: number): Promise<string | null> {
    const block = await this.rpc.call<{ hash: string } | null>('eth_getBlockByNumber', [toBeHex(blockNumber), false]);
    return block?.hash ?? null;
  }

  async receipt(txHash: string): Promise<Receipt | null> {
    const raw = await this.rpc.call<RawReceipt | null>('eth_getTransactionReceipt', [txHash]);
    if (!raw) return null;
    return {
      status: raw.status === '0x1' ? 1 : 0,
      blockNumber: Number(BigInt(raw.blockNumber)),
      blockHash: raw.blockHash,
      transactionHash: raw.transactionHash,
      logs: raw.logs as unknown as Log[],
    };
  }

  async isTransactionKnown(txHash: string): Promise<boolean> {
    return (await this.rpc.call<unknown>('eth_getTransactionByHash', [txHash])) !== null;
  }

  async nonce(address: string, tag: 'latest' | 'pending'): Promise<number> {
    return Number(BigInt(await this.rpc.call<string>('eth_getTransactionCount', [address, tag])));
  }

  async latestVersion(groupKey: string, periodStart: bigint): Promise<number> {
    return Number(await this.view('latestVersion', [groupKey, periodStart]));
  }

  async rootOf(groupKey: string, periodStart: bigint, version: number): Promise<string> {
    return String(await this.view('rootOf', [groupKey, periodStart, version]));
  }

  /**
   * The block a version was committed in, when it is the group-period's latest (the contract
   * keeps only the latest version's block; earlier ones are found by their event): else null.
   */
  async commitmentBlock(groupKey: string, periodStart: bigint, version: number): Promise<number | null> {
    // latestCommitment = (version, merkleRoot, totals, blockNumber).
    const latest = await this.viewAll('latestCommitment', [groupKey, periodStart]);
    return Number(latest[0]) === version ? Number(latest[3] as bigint) : null;
  }

  /** The latest version of a group's period on chain: its root, totals and block (version 0: none). */
  async latestCommitment(groupKey: string, periodStart: bigint): Promise<{ version: number; merkleRoot: string; totals: Totals; blockNumber: number }> {
    const [version, merkleRoot, totals, blockNumber] = await this.viewAll('latestCommitment', [groupKey, periodStart]);
    const t = totals as bigint[];
    return {
      version: Number(version),
      merkleRoot: String(merkleRoot),
      totals: { feedInWh: t[0], feedOutWh: t[1], scheduleNetWh: t[2], imbalanceWh: t[3] },
      blockNumber: Number(blockNumber as bigint),
    };
  }

  async periodState(periodStart: bigint): Promise<{ sums: Totals; committedGroups: number; finalized: boolean; finalizations: number; requiredGroups: number }> {
    const result = await this.viewAll('periodState', [periodStart]);
    const sums = result[0] as bigint[];
    return {
      sums: { feedInWh: sums[0], feedOutWh: sums[1], scheduleNetWh: sums[2], imbalanceWh: sums[3] },
      committedGroups: Number(result[1]),
      finalized: Boolean(result[2]),
      finalizations: Number(result[3]),
      requiredGroups: Number(result[4]),
    };
  }

  /** `leaf`: meter id, direction, energy and the leaf's salt (handed out with its proof). */
  async verifyMeter(groupKey: string, periodStart: bigint, version: number, leaf: readonly [string, 0 | 1, bigint, string], proof: readonly string[]): Promise<boolean> {
    return Boolean(await this.view('verifyMeter', [groupKey, periodStart, version, leaf[0], leaf[1], leaf[2], leaf[3], proof]));
  }

  /** The last transaction that emitted `eventName` with these indexed topics in blocks [from, to], and its block. */
  async findEventTx(
    eventName: 'PeriodCommitted' | 'PeriodFinalized',
    topics: readonly string[],
    fromBlock: number,
    toBlock: number,
    match: (args: readonly unknown[]) => boolean,
  ): Promise<{ txHash: string; blockNumber: number; blockHash: string } | null> {
    const event = cascadeInterface.getEvent(eventName);
    if (!event) throw new Error(`no event ${eventName}`);
    const logs = await this.rpc.call<RawLog[]>('eth_getLogs', [
      { address: this.address, fromBlock: toBeHex(fromBlock), toBlock: toBeHex(toBlock), topics: [event.topicHash, ...topics] },
    ]);
    for (const log of logs.reverse()) {
      const parsed = cascadeInterface.parseLog({ topics: log.topics, data: log.data });
      if (parsed && match(parsed.args.toArray(true))) return { txHash: log.transactionHash, blockNumber: Number(BigInt(log.blockNumber)), blockHash: log.blockHash };
    }
    return null;
  }

  commitCalldata(groupKey: string, periodStart: bigint, version: number, totals: Totals, root: string, meterCount: number, inputsDigest: string): string {
    return cascadeInterface.encodeFunctionData('commitPeriod', [groupKey, periodStart, version, totalsTuple(totals), root, meterCount, inputsDigest]);
  }

  finalizeCalldata(periodStart: bigint, totals: Totals): string {
    return cascadeInterface.encodeFunctionData('finalizePeriod', [periodStart, totalsTuple(totals)]);
  }

  /** Runs the call as `from` would send it: the gas it needs, or the decoded refusal. */
  async simulate(from: string, data: string): Promise<Simulation> {
    try {
      const gas = await this.rpc.call<string>('eth_estimateGas', [{ from, to: this.address, data }]);
      return { ok: true, gas: BigInt(gas) };
    } catch (error) {
      if (error instanceof RpcResponseError && (error.data !== undefined || /revert/i.test(error.rpcMessage))) {
        return { ok: false, revert: decodeRevert(error.data, error.rpcMessage) };
      }
      throw error;
    }
  }

  async sendRaw(rawTx: string): Promise<string> {
    return this.rpc.call<string>('eth_sendRawTransaction', [rawTx]);
  }

  /** Suggested EIP-1559 fees: twice the next base fee plus the node's priority tip. */
  async fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const [block, tip] = await Promise.all([
      this.rpc.call<{ baseFeePerGas?: string }>('eth_getBlockByNumber', ['latest', false]),
      this.rpc.call<string>('eth_maxPriorityFeePerGas').catch(() => '0x3b9aca00'),
    ]);
    const baseFee = BigInt(block.baseFeePerGas ?? '0x0');
    const maxPriorityFeePerGas = BigInt(tip);
    return { maxFeePerGas: baseFee * 2n + maxPriorityFeePerGas, maxPriorityFeePerGas };
  }

  private async view(name: string, args: readonly unknown[]): Promise<unknown> {
    return (await this.viewAll(name, args))[0];
  }

  private async viewAll(name: string, args: readonly unknown[]): Promise<unknown[]> {
    const data = cascadeInterface.encodeFunctionData(name, args);
    const result = await this.rpc.call<string>('eth_call', [{ to: this.address, data }, 'latest']);
    return cascadeInterface.decodeFunctionResult(name, result).toArray(true);
  }
}

export function decodeRevert(data: string | undefined, message: string): ContractRevert {
  if (data && data.length >= 10) {
    try {
      const parsed = cascadeInterface.parseError(data);
      if (parsed) return { errorName: parsed.name, args: parsed.args.toArray(true), data, message };
    } catch {
      // not one of ours: fall through
    }
  }
  return { errorName: null, args: [], data: data ?? null, message };
}

export function walletAddress(privateKey: string): string {
  return getAddress(new Wallet(privateKey).address);
}

interface RawReceipt {
  status: string;
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  logs: unknown[];
}

interface RawLog {
  topics: string[];
  data: string;
  transactionHash: string;
  blockNumber: string;
  blockHash: string;
}
