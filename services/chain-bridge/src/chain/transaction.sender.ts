import { Transaction, Wallet } from 'ethers';
import type { DataSource, EntityManager } from 'typeorm';
import { CascadeClient, Receipt } from './cascade.client';
import { FeePolicy, Fees, bumpedFees, cappedFees, gasLimitFor } from './fee-policy';
import { RpcResponseError } from './json-rpc.client';

export type SubmissionKind = 'commit' | 'finalize';

export interface SubmissionRow {
  readonly id: string;
  readonly nonce: number;
  readonly txHash: string;
  readonly rawTx: string;
  readonly gasLimit: bigint;
  readonly fees: Fees;
  readonly sentAt: Date;
}

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
  readonly now?: () => Date;
}

/**
 * Signs, records and broadcasts one signer's transactions. Every signed transaction is
 * written (raw bytes included) in the caller's database transaction before it is broadcast,
 * so a crash at any point leaves a record the next run can rebroadcast or retire. Nonces come
 * from the node's pending count at the start of each round, counted up locally within it.
 */
export class TransactionSender {
  readonly address: string;
  private nextNonce: number | undefined;

  constructor(
    private readonly wallet: Wallet,
    private readonly client: CascadeClient,
    private readonly db: DataSource,
    private readonly chainId: number,
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
    const open = await openSubmissions(this.db.manager, subjectKey);
    if (open.length === 0) return { kind: 'lost' };
    for (const submission of open) {
      const receipt = await this.client.receipt(submission.txHash);
      if (receipt) return { kind: receipt.status === 1 ? 'mined' : 'reverted', receipt, submissionId: submission.id };
    }
    const latest = open[open.length - 1];
    if (await this.client.isTransactionKnown(latest.txHash)) {
      const now = (this.options.now ?? (() => new Date()))();
      if (now.getTime() - latest.sentAt.getTime() >= this.options.stuckAfterMs) {
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
      await em.query(`UPDATE submission SET status = $2, block_number = $3, block_hash = $4, updated_at = now() WHERE id = $1`, [
        outcome.submissionId,
        outcome.kind,
        outcome.receipt.blockNumber,
        outcome.receipt.blockHash,
      ]);
      await em.query(`UPDATE submission SET status = 'replaced', updated_at = now() WHERE subject_key = $1 AND status = 'sent'`, [subjectKey]);
    } else if (outcome.kind === 'lost') {
      await em.query(`UPDATE submission SET status = 'dropped', error = 'not mined; nonce used by another transaction or reorged out', updated_at = now() WHERE subject_key = $1 AND status = 'sent'`, [subjectKey]);
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
      chainId: this.chainId,
      nonce,
      to: this.client.address,
      data,
      gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      value: 0n,
    });
    const txHash = Transaction.from(rawTx).hash as string;
    const [inserted] = (await em.query(
      `INSERT INTO submission (kind, subject_key, signer, nonce, tx_hash, raw_tx, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, replaces, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'sent') RETURNING id, sent_at`,
      [kind, subjectKey, this.address, nonce, txHash, rawTx, gasLimit.toString(), fees.maxFeePerGas.toString(), fees.maxPriorityFeePerGas.toString(), replaces],
    )) as { id: string; sent_at: Date }[];
    return { id: String(inserted.id), nonce, txHash, rawTx, gasLimit, fees, sentAt: inserted.sent_at };
  }
}

async function openSubmissions(em: EntityManager, subjectKey: string): Promise<SubmissionRow[]> {
  const rows = (await em.query(
    `SELECT id, nonce, tx_hash, raw_tx, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, sent_at
     FROM submission WHERE subject_key = $1 AND status = 'sent' ORDER BY id`,
    [subjectKey],
  )) as { id: string; nonce: string; tx_hash: string; raw_tx: string; gas_limit: string; max_fee_per_gas: string; max_priority_fee_per_gas: string; sent_at: Date }[];
  return rows.map((row) => ({
    id: String(row.id),
    nonce: Number(row.nonce),
    txHash: row.tx_hash,
    rawTx: row.raw_tx,
    gasLimit: BigInt(row.gas_limit),
    fees: { maxFeePerGas: BigInt(row.max_fee_per_gas), maxPriorityFeePerGas: BigInt(row.max_priority_fee_per_gas) },
    sentAt: new Date(row.sent_at),
  }));
}
