import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Fees } from './fee-policy';

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

export interface NewSubmission {
  readonly kind: SubmissionKind;
  readonly subjectKey: string;
  readonly signer: string;
  readonly nonce: number;
  readonly txHash: string;
  readonly rawTx: string;
  readonly gasLimit: bigint;
  readonly fees: Fees;
  /** The submission this one replaces (same nonce, higher fees), if any. */
  readonly replaces: string | null;
}

interface RawRow {
  id: string;
  nonce: string;
  tx_hash: string;
  raw_tx: string;
  gas_limit: string;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  sent_at: Date;
}

/** SQL for `submission`: every signed transaction, raw bytes included; writes take the caller's transaction. */
@Injectable()
export class SubmissionRepository {
  async insert(em: EntityManager, submission: NewSubmission): Promise<SubmissionRow> {
    const { kind, subjectKey, signer, nonce, txHash, rawTx, gasLimit, fees, replaces } = submission;
    const [inserted] = (await em.query(
      `INSERT INTO submission (kind, subject_key, signer, nonce, tx_hash, raw_tx, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, replaces, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'sent') RETURNING id, sent_at`,
      [kind, subjectKey, signer, nonce, txHash, rawTx, gasLimit.toString(), fees.maxFeePerGas.toString(), fees.maxPriorityFeePerGas.toString(), replaces],
    )) as { id: string; sent_at: Date }[];
    return { id: String(inserted.id), nonce, txHash, rawTx, gasLimit, fees, sentAt: inserted.sent_at };
  }

  /** A subject's transactions still out (sent, not yet mined, replaced or dropped), oldest first. */
  async open(em: EntityManager, subjectKey: string): Promise<SubmissionRow[]> {
    const rows = (await em.query(
      `SELECT id, nonce, tx_hash, raw_tx, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, sent_at
       FROM submission WHERE subject_key = $1 AND status = 'sent' ORDER BY id`,
      [subjectKey],
    )) as RawRow[];
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

  /** One of the subject's transactions was mined (or reverted): it is settled, the others replaced. */
  async markMined(em: EntityManager, subjectKey: string, submissionId: string, status: 'mined' | 'reverted', block: { number: number; hash: string }): Promise<void> {
    await em.query(`UPDATE submission SET status = $2, block_number = $3, block_hash = $4, updated_at = now() WHERE id = $1`, [submissionId, status, block.number, block.hash]);
    await em.query(`UPDATE submission SET status = 'replaced', updated_at = now() WHERE subject_key = $1 AND status = 'sent'`, [subjectKey]);
  }

  /** None of the subject's open transactions will mine. */
  async markDropped(em: EntityManager, subjectKey: string): Promise<void> {
    await em.query(`UPDATE submission SET status = 'dropped', error = 'not mined; nonce used by another transaction or reorged out', updated_at = now() WHERE subject_key = $1 AND status = 'sent'`, [subjectKey]);
  }
}
