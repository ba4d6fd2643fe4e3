import { Transaction, Wallet } from 'ethers';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import type { ChainBridgeConfig } from '../config';
import type { CascadeClient, Receipt } from './cascade.client';
import type { ChainIdentity } from './chain-identity';
import { FeePolicy, Fees, bumpedFees, cappedFees, gasLimitFor } from './fee-policy';
import { RpcResponseError } from './json-rpc.client';
import type { SubmissionKind, SubmissionRepository, SubmissionRow } from './submission.repository';

export type { SubmissionKind, SubmissionRow } from './submission.repository';

/** Where a subject's transactions stand. */
export type TrackOutcome =
  | { readonly kind: 'mined'; readonly receipt: Receipt; readonly submissionId: string }
  | { readonly kind: 'reverted'; readonly receipt: Receipt; readonly submissionId: string }
  | { readonly kind: 'pending' }
  /** No transaction of ours will mine for this nonce any more: decide afresh. */
  | { readonly kind: 'lost' };

export interface SenderOptions extends FeePolicy {
  /** An unmined transaction older than this gets its fees bumped. */
  readonly stuckAfterMs: number;
}

const GWEI = 1_000_000_000n;

export function senderOptionsOf(config: ChainBridgeConfig): SenderOptions {
  return { stuckAfterMs: config.CHAIN_STUCK_AFTER_MS, maxBumps: config.CHAIN_MAX_FEE_BUMPS, maxFeeCapWei: BigInt(config.CHAIN_MAX_FEE_GWEI) * GWEI };
}

/** The two signers' senders, as chain-bridge's module provides them. */
export const COMMIT_SENDER = Symbol('chain-bridge.commitSender');
/** Null in a committer (it has no CHAIN_TSO_KEY): only a finalizer finalizes. */
export const FINALIZE_SENDER = Symbol('chain-bridge.finalizeSender');

/**
 * Signs, records and broadcasts one signer's transactions. Every signed transaction is
 * written (raw bytes included) in the caller's database transaction before it is broadcast,
 * so a crash at any point leaves a record the next run can rebroadcast or retire. Nonces come
 * from the node's pending count at the start of each round, counted up locally within it.
 * One instance per signer (the committer, the TSO): see COMMIT_SENDER and FINALIZE_SENDER.
 */
export class TransactionSender {
  readonly address: string;
  private nextNonce: number | undefined;

  constructor(
    private readonly wallet: Wallet,
    private readonly client: CascadeClient,
    private readonly chain: ChainIdentity,
    private readonly submissions: SubmissionRepository,
    private readonly db: DataSource,
    private readonly clock: Clock,
    private readonly options: SenderOptions,
  ) {
    this.address = wallet.address;
  }

  /** Re-reads the nonce from the node (call once per round, after in-flight tracking). */
  async beginRound(): Promise<void> {
    this.nextNonce = await this.client.nonce(this.address, 'pending');
  }

  /** Signs a new transaction and records it in `em`; broadcast it after commit. */
  async sign(em: EntityManager, kind: SubmissionKind, subjectKey: string, data: string, gasEstimate: bigint): Promise<SubmissionRow> {
    if (this.nextNonce === undefined) await this.beginRound();
    const nonce = this.nextNonce as number;
    const fees = cappedFees(await this.client.fees(), this.options);
    const row = await this.signAndRecord(em, kind, subjectKey, data, nonce, gasLimitFor(gasEstimate), fees, null);
    this.nextNonce = nonce + 1;
    return row;
  }

  /** Sends a recorded transaction; a node that already has it, or lost connection, is fine. */
  async broadcast(row: SubmissionRow): Promise<void> {
    try {
      await this.client.sendRaw(row.rawTx);
    } catch (error) {
      if (error instanceof RpcResponseError && /already known|already imported|known transaction/i.test(error.rpcMessage)) return;
      if (error instanceof RpcResponseError && /nonce too low|nonce has already been used/i.test(error.rpcMessage)) {
        // Our nonce was stale; tracking will find it lost and the subject is decided afresh.
        this.nextNonce = undefined;
        return;
      }
      throw error;
    }
  }

  /**
   * Looks at every open transaction of a subject: a receipt settles it; unmined but known
   * gets a fee bump once stuck (recorded, then broadcast); unknown to the node is
   * rebroadcast, or declared lost when its nonce was used by something else. Reads only,
   * apart from replacements: the caller records the outcome with `settle` in the same
   * transaction as its own status change.
   */
  async track(kind: SubmissionKind, subjectKey: string): Promise<TrackOutcome> {
    const open = await this.submissions.open(this.db.manager, subjectKey);
    if (open.length === 0) return { kind: 'lost' };
    for (const submission of open) {
      const receipt = await this.client.receipt(submission.txHash);
      if (receipt) return { kind: receipt.status === 1 ? 'mined' : 'reverted', receipt, submissionId: submission.id };
    }
    const latest = open[open.length - 1];
    if (await this.client.isTransactionKnown(latest.txHash)) {
      if (this.clock.nowMs() - latest.sentAt.getTime() >= this.options.stuckAfterMs) {
        const fees = bumpedFees(latest.fees, await this.client.fees(), open.length - 1, this.options);
        if (fees) {
          const data = Transaction.from(latest.rawTx).data;
          const replacement = await this.db.transaction((em) => this.signAndRecord(em, kind, subjectKey, data, latest.nonce, latest.gasLimit, fees, latest.id));
          await this.broadcast(replacement);
        }
      }
      return { kind: 'pending' };
    }
    const confirmedNonce = await this.client.nonce(this.address, 'latest');
    if (confirmedNonce > latest.nonce) return { kind: 'lost' };
    try {
      await this.broadcast(latest);
    } catch (error) {
      // The node refuses it (funds, fee floor, …): retire it and let the subject be decided afresh.
      if (error instanceof RpcResponseError) return { kind: 'lost' };
      throw error;
    }
    return { kind: 'pending' };
  }

  /** Records what `track` found, in the caller's transaction. */
  async settle(em: EntityManager, subjectKey: string, outcome: TrackOutcome): Promise<void> {
    if (outcome.kind === 'mined' || outcome.kind === 'reverted') {
      await this.submissions.markMined(em, subjectKey, outcome.submissionId, outcome.kind, { number: outcome.receipt.blockNumber, hash: outcome.receipt.blockHash });
    } else if (outcome.kind === 'lost') {
      await this.submissions.markDropped(em, subjectKey);
    }
  }

  private async signAndRecord(
    em: EntityManager,
    kind: SubmissionKind,
    subjectKey: string,
    data: string,
    nonce: number,
    gasLimit: bigint,
    fees: Fees,
    replaces: string | null,
  ): Promise<SubmissionRow> {
    const rawTx = await this.wallet.signTransaction({
      type: 2,
      chainId: await this.chain.id(),
      nonce,
      to: this.client.address,
      data,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      value: 0n,
    });
    const txHash = Transaction.from(rawTx).hash as string;
    return this.submissions.insert(em, { kind, subjectKey, signer: this.address, nonce, txHash, rawTx, gasLimit, fees, replaces });
  }
}
