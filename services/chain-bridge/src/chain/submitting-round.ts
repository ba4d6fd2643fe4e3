import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { InjectConfig, InjectDataSource, InjectLogger } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';
import type { ChainBridgeConfig } from '../config';
import { bridgeMetrics } from './bridge.metrics';
import { BlockRef, CascadeClient } from './cascade.client';
import type { ChainRound } from './chain.worker';
import { RpcResponseError } from './json-rpc.client';
import type { SubmissionKind, TransactionSender } from './transaction.sender';

/** Where a commit's or finalization's transaction stands on chain, as both tables keep it. */
export interface AnchoredRow {
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly blockHash: string | null;
}

/** Why a row goes back to "decide afresh from the chain". */
export interface SendBack {
  readonly reason: string;
  /** A reverted transaction counts as an attempt; a lost or reorged one does not. */
  readonly countAttempt: boolean;
  /** Reorged out: the tx and block it had are no longer where it stands. */
  readonly clearPosition: boolean;
}

/**
 * What a worker takes to the chain (a group version's commit, a period's finalization): its
 * rows by stage and the status change of each step. ChainSubmissionStep does the steps.
 */
export interface ChainSubject<Row extends AnchoredRow> {
  readonly kind: SubmissionKind;
  /** Log context. */
  readonly name: string;
  subjectKey(row: Row): string;
  describe(row: Row): string;
  withStatus(em: EntityManager, status: 'submitted' | 'included'): Promise<Row[]>;
  /** `sharedKey`: the submissions' key when the transaction carries other rows too (else null). */
  markSubmitted(em: EntityManager, row: Row, txHash: string, sharedKey: string | null): Promise<void>;
  markIncluded(em: EntityManager, row: Row, txHash: string, block: BlockRef): Promise<void>;
  /** Not on chain after all (reverted, lost, reorged out): decided afresh next round. */
  sendBack(em: EntityManager, row: Row, why: SendBack): Promise<void>;
  /** Deep enough on a canonical block: the status change and what it publishes, in `em`. */
  markConfirmed(em: EntityManager, row: Row): Promise<void>;
  /** After the confirmation committed (metrics). */
  afterConfirmed?(row: Row): void;
  /** Runs a step's work for a row, e.g. as a span in the row's trace. */
  around?<T>(row: Row, name: string, work: () => Promise<T>): Promise<T>;
}

/**
 * The one broadcast → confirm-to-depth → reorg step both workers use: send a signed
 * transaction recorded with the row's status change; settle what was mined, reverted or
 * lost; confirm what is deep enough on a block that is still canonical, and send back what a
 * reorg removed.
 */
@Injectable()
export class ChainSubmissionStep {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly client: CascadeClient,
    @InjectConfig() private readonly config: ChainBridgeConfig,
    @InjectLogger() private readonly log: JsonLogger,
  ) {}

  /** Signs and records the transaction with the row's status change, then broadcasts it. */
  async submit<Row extends AnchoredRow>(subject: ChainSubject<Row>, sender: TransactionSender, row: Row, data: string, gasEstimate: bigint): Promise<void> {
    await this.submitTogether(subject, sender, [row], subject.subjectKey(row), data, gasEstimate);
  }

  /**
   * One transaction carrying several rows (a batch commit): signed and recorded under
   * `subjectKey` with every row's status change, so each row's subjectKey must then be it.
   */
  async submitTogether<Row extends AnchoredRow>(subject: ChainSubject<Row>, sender: TransactionSender, rows: readonly Row[], subjectKey: string, data: string, gasEstimate: bigint): Promise<void> {
    const submission = await this.db.transaction(async (em) => {
      const signed = await sender.sign(em, subject.kind, subjectKey, data, gasEstimate);
      for (const row of rows) await subject.markSubmitted(em, row, signed.txHash, rows.length > 1 ? subjectKey : null);
      return signed;
    });
    bridgeMetrics.submissions().add(1, { kind: subject.kind });
    this.log.log(`sent ${rows.map((row) => subject.describe(row)).join(', ')}: tx ${submission.txHash} nonce ${submission.nonce}`, subject.name);
    try {
      await sender.broadcast(submission);
    } catch (error) {
      if (!(error instanceof RpcResponseError)) throw error;
      // Recorded as sent: tracking retries the broadcast or retires it next round.
      this.log.warn(`the node refused tx ${submission.txHash}: ${error.rpcMessage}`, subject.name);
    }
  }

  /** Settles sent transactions that were mined, reverted or lost (rows sharing one transaction together). */
  async track<Row extends AnchoredRow>(subject: ChainSubject<Row>, sender: TransactionSender): Promise<void> {
    const bySubmission = new Map<string, Row[]>();
    for (const row of await subject.withStatus(this.db.manager, 'submitted')) {
      const key = subject.subjectKey(row);
      bySubmission.set(key, [...(bySubmission.get(key) ?? []), row]);
    }
    for (const [key, rows] of bySubmission) {
      const outcome = await sender.track(subject.kind, key);
      if (outcome.kind === 'pending') continue;
      await around(subject, rows[0], `chain.${subject.kind}.track`, () =>
        this.db.transaction(async (em) => {
          await sender.settle(em, key, outcome);
          for (const row of rows) {
            if (outcome.kind === 'mined') {
              await subject.markIncluded(em, row, outcome.receipt.transactionHash, { number: outcome.receipt.blockNumber, hash: outcome.receipt.blockHash });
            } else {
              const reason = outcome.kind === 'reverted' ? `transaction ${outcome.receipt.transactionHash} reverted` : 'transaction lost before mining';
              await subject.sendBack(em, row, { reason, countAttempt: outcome.kind === 'reverted', clearPosition: false });
            }
          }
        }),
      );
    }
  }

  /** Confirms what is deep enough, and sends back what a reorg removed. */
  async confirm<Row extends AnchoredRow>(subject: ChainSubject<Row>, head: BlockRef): Promise<void> {
    for (const row of await subject.withStatus(this.db.manager, 'included')) {
      const blockNumber = row.blockNumber as number;
      if ((await this.client.blockHashAt(blockNumber)) !== row.blockHash) {
        bridgeMetrics.reorgs().add(1, { kind: subject.kind });
        this.log.warn(`reorg: ${subject.describe(row)} left block ${blockNumber} (${row.blockHash}); re-checking the chain`, subject.name);
        await subject.sendBack(this.db.manager, row, { reason: `reorged out of block ${blockNumber}`, countAttempt: false, clearPosition: true });
        continue;
      }
      const depth = head.number - blockNumber + 1;
      if (depth < this.config.CHAIN_CONFIRMATIONS) continue;
      await around(subject, row, `chain.${subject.kind}.confirm`, () => this.db.transaction((em) => subject.markConfirmed(em, row)));
      bridgeMetrics.confirmed().add(1, { kind: subject.kind });
      subject.afterConfirmed?.(row);
      this.log.log(`confirmed ${subject.describe(row)} at depth ${depth} (tx ${row.txHash})`, subject.name);
    }
  }
}

/**
 * One round of a worker that sends transactions through its own sender. The order matters:
 * in-flight transactions are tracked and inclusions checked before the sender re-reads its
 * nonce, and only then is anything new sent.
 */
export abstract class SubmittingRound<Row extends AnchoredRow> implements ChainRound, ChainSubject<Row> {
  abstract readonly kind: SubmissionKind;
  abstract readonly name: string;

  constructor(
    protected readonly step: ChainSubmissionStep,
    private readonly signer: TransactionSender | null,
  ) {}

  /** False when this round's signer is not configured (no CHAIN_TSO_KEY): the worker leaves it out. */
  get enabled(): boolean {
    return this.signer !== null;
  }

  protected get sender(): TransactionSender {
    if (!this.signer) throw new Error(`${this.name} has no signer configured`);
    return this.signer;
  }

  async round(head: BlockRef): Promise<void> {
    await this.step.track(this, this.sender);
    await this.step.confirm(this, head);
    await this.sender.beginRound();
    await this.sendDue();
  }

  /** Decides and sends what is due now (through `step.submit`). */
  protected abstract sendDue(): Promise<void>;

  abstract subjectKey(row: Row): string;
  abstract describe(row: Row): string;
  abstract withStatus(em: EntityManager, status: 'submitted' | 'included'): Promise<Row[]>;
  abstract markSubmitted(em: EntityManager, row: Row, txHash: string, sharedKey: string | null): Promise<void>;
  abstract markIncluded(em: EntityManager, row: Row, txHash: string, block: BlockRef): Promise<void>;
  abstract sendBack(em: EntityManager, row: Row, why: SendBack): Promise<void>;
  abstract markConfirmed(em: EntityManager, row: Row): Promise<void>;
}

function around<Row extends AnchoredRow, T>(subject: ChainSubject<Row>, row: Row, name: string, work: () => Promise<T>): Promise<T> {
  return subject.around ? subject.around(row, name, work) : work();
}
