import { Inject, Injectable } from '@nestjs/common';
import { toBeHex } from 'ethers';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import { ChainPeriodCommitted, ChainPeriodConfirmed, ChainPeriodRejected, MessageDeadLettered } from '@gridledger/events';
import { enqueueOutbox } from '@gridledger/messaging';
import { STREAMS } from '@gridledger/messaging';
import { groupKey } from '@gridledger/contracts';
import { InjectClock, InjectConfig, InjectDataSource, InjectLogger } from '@gridledger/service-kit';
import { extractTraceContext, histogram, recordCarrier, withSpan, type JsonLogger } from '@gridledger/telemetry';
import type { ChainBridgeConfig } from '../config';
import { BridgeAlarms } from '../chain/bridge-alarms';
import { BlockRef, CascadeClient } from '../chain/cascade.client';
import { ChainIdentity } from '../chain/chain-identity';
import { ChainSubmissionStep, SendBack, SubmittingRound } from '../chain/submitting-round';
import { RpcUnavailableError } from '../chain/json-rpc.client';
import { COMMIT_SENDER, TransactionSender } from '../chain/transaction.sender';
import { classifyRefusal, decideCommit } from './commit-decision';
import { PeriodCommitRepository, PeriodCommitRow, commitSubjectKey, raiseAlarm } from './period-commit.repository';

const BATCH = 100;

/**
 * Takes each recorded version to the chain and sees it confirmed:
 * pending → (read chain, simulate, sign + record, broadcast) → submitted → (receipt) →
 * included → (depth reached, block still canonical) → confirmed. A reorg sends an included
 * commit back to pending; pending always reads the chain first, so a version already there
 * is adopted, never sent twice, and one there with another root is an alarm.
 */
@Injectable()
export class CommitWorker extends SubmittingRound<PeriodCommitRow> {
  readonly kind = 'commit' as const;
  readonly name = 'CommitWorker';

  constructor(
    step: ChainSubmissionStep,
    @Inject(COMMIT_SENDER) sender: TransactionSender | null,
    private readonly commits: PeriodCommitRepository,
    private readonly client: CascadeClient,
    private readonly chain: ChainIdentity,
    private readonly alarms: BridgeAlarms,
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: ChainBridgeConfig,
    @InjectClock() private readonly clock: Clock,
    @InjectLogger() private readonly log: JsonLogger,
  ) {
    super(step, sender);
  }

  subjectKey(row: PeriodCommitRow): string {
    return commitSubjectKey(row);
  }

  describe(row: PeriodCommitRow): string {
    return `${row.groupId} ${row.periodId} v${row.version}`;
  }

  withStatus(em: EntityManager, status: 'submitted' | 'included'): Promise<PeriodCommitRow[]> {
    return this.commits.withStatus(em, status, BATCH);
  }

  async markSubmitted(em: EntityManager, row: PeriodCommitRow, txHash: string): Promise<void> {
    await this.commits.update(em, row, { status: 'submitted', txHash, lastError: null, countAttempt: true });
  }

  async sendBack(em: EntityManager, row: PeriodCommitRow, why: SendBack): Promise<void> {
    await this.commits.update(em, row, { status: 'pending', lastError: why.reason, countAttempt: why.countAttempt, ...(why.clearPosition ? { txHash: null } : {}) });
  }

  async markConfirmed(em: EntityManager, row: PeriodCommitRow): Promise<void> {
    await this.commits.update(em, row, { status: 'confirmed' });
    const envelope = ChainPeriodConfirmed.create({
      idParts: [row.groupId, row.periodId, String(row.version), row.blockHash as string],
      occurredAt: this.clock.now(),
      data: {
        ...(await this.anchoredVersion(row)),
        txHash: row.txHash as string,
        blockNumber: row.blockNumber as number,
        blockHash: row.blockHash as string,
        confirmations: this.config.CHAIN_CONFIRMATIONS,
      },
    });
    await enqueueOutbox(em, ChainPeriodConfirmed, envelope);
  }

  afterConfirmed(row: PeriodCommitRow): void {
    timeToConfirm().record((this.clock.nowMs() - row.receivedAt.getTime()) / 1000);
  }

  around<T>(row: PeriodCommitRow, name: string, work: () => Promise<T>): Promise<T> {
    return inTrace(row, name, work);
  }

  protected async sendDue(): Promise<void> {
    for (const row of await this.commits.withStatus(this.db.manager, 'pending', BATCH, true)) {
      try {
        await inTrace(row, 'chain.commit.decide', () => this.decide(row));
      } catch (error) {
        if (error instanceof RpcUnavailableError) throw error;
        // One row that cannot be decided must not hold back the others.
        const message = error instanceof Error ? error.message : String(error);
        this.log.error(`${this.describe(row)}: ${message}; retrying later`, this.name);
        await this.commits.update(this.db.manager, row, { status: 'pending', lastError: message, retryInMs: this.config.CHAIN_POLL_INTERVAL_MS * 10 });
      }
    }
  }

  /** Reads the chain before sending anything: that is what makes a restart safe. */
  private async decide(row: PeriodCommitRow): Promise<void> {
    const group = groupKey(row.groupId);
    const latestVersion = await this.client.latestVersion(group, row.periodStart);
    const rootOfVersion = latestVersion >= row.version ? await this.client.rootOf(group, row.periodStart, row.version) : null;
    const decision = decideCommit(row.version, row.merkleRoot, { latestVersion, rootOfVersion });
    switch (decision.kind) {
      case 'adopt':
        return this.adopt(row);
      case 'conflict':
        return this.reject(row, 'root-conflict', `the chain holds version ${row.version} with root ${decision.chainRoot}, not ${row.merkleRoot}`, null, decision.chainRoot);
      case 'wait':
        return this.commits.update(this.db.manager, row, { status: 'pending', lastError: decision.reason, retryInMs: this.config.CHAIN_POLL_INTERVAL_MS });
      case 'send':
        return this.send(row);
      default: {
        const unexpected: never = decision;
        throw new Error(`unknown decision ${JSON.stringify(unexpected)}`);
      }
    }
  }

  private async send(row: PeriodCommitRow): Promise<void> {
    const data = this.client.commitCalldata(groupKey(row.groupId), row.periodStart, row.version, row.totals, row.merkleRoot, row.meterCount, row.inputsDigest);
    const simulation = await this.client.simulate(this.sender.address, data);
    if (!simulation.ok) {
      const action = classifyRefusal(simulation.revert, { attempts: row.attempts, committer: this.sender.address, groupId: row.groupId });
      if (action.kind === 'reject') await this.reject(row, action.code, action.reason, simulation.revert.errorName, null);
      else await this.commits.update(this.db.manager, row, { status: 'pending', lastError: action.reason, countAttempt: action.countAttempt, retryInMs: this.config.CHAIN_POLL_INTERVAL_MS * action.delayFactor });
      return;
    }
    await this.step.submit(this, this.sender, row, data, simulation.gas);
  }

  /** The version is already on chain with our root (a restart, or our reorged tx re-mined). */
  private async adopt(row: PeriodCommitRow): Promise<void> {
    const group = groupKey(row.groupId);
    // The contract keeps the block of the latest version only; an earlier one is searched for.
    const latestBlock = await this.client.commitmentBlock(group, row.periodStart, row.version);
    const [from, to] = latestBlock === null ? [0, (await this.client.head()).number] : [latestBlock, latestBlock];
    const found = await this.client.findEventTx('PeriodCommitted', [group, toBeHex(row.periodStart, 32)], from, to, (args) => Number(args[2]) === row.version);
    if (!found) throw new Error(`version ${row.version} of ${row.groupId} ${row.periodId} is on chain but its PeriodCommitted event in blocks ${from}-${to} was not found`);
    const { txHash, blockHash, blockNumber } = found;
    this.log.log(`found ${row.groupId} ${row.periodId} v${row.version} already on chain in block ${blockNumber}: not sending it again`, 'CommitWorker');
    await this.db.transaction((em) => this.markIncluded(em, row, txHash, { number: blockNumber, hash: blockHash }));
  }

  async markIncluded(em: EntityManager, row: PeriodCommitRow, txHash: string, block: BlockRef): Promise<void> {
    await this.commits.update(em, row, { status: 'included', txHash, blockNumber: block.number, blockHash: block.hash, lastError: null });
    const envelope = ChainPeriodCommitted.create({
      idParts: [row.groupId, row.periodId, String(row.version), block.hash],
      occurredAt: this.clock.now(),
      data: {
        ...(await this.anchoredVersion(row)),
        txHash,
        blockNumber: block.number,
        blockHash: block.hash,
      },
    });
    await enqueueOutbox(em, ChainPeriodCommitted, envelope, row.groupId);
  }

  /** The version and where it is anchored: what the committed and confirmed events both carry. */
  private async anchoredVersion(row: PeriodCommitRow): Promise<{ groupId: string; periodId: string; version: number; merkleRoot: string; chainId: number; contract: string }> {
    return { groupId: row.groupId, periodId: row.periodId, version: row.version, merkleRoot: row.merkleRoot, chainId: await this.chain.id(), contract: this.client.address };
  }

  /** Not anchored, not retried: recorded, alarmed, published, and the source dead-lettered. */
  private async reject(row: PeriodCommitRow, code: 'role-violation' | 'invalid' | 'root-conflict', reason: string, contractError: string | null, chainRoot: string | null): Promise<void> {
    await this.db.transaction(async (em) => {
      await this.commits.update(em, row, { status: code === 'root-conflict' ? 'conflict' : 'rejected', lastError: reason });
      await raiseAlarm(em, { kind: code, groupId: row.groupId, periodId: row.periodId, version: row.version, detail: reason });
      const rejected = ChainPeriodRejected.create({
        idParts: [row.groupId, row.periodId, String(row.version), code],
        occurredAt: this.clock.now(),
        data: { groupId: row.groupId, periodId: row.periodId, version: row.version, merkleRoot: row.merkleRoot, code, reason, contractError, chainRoot },
      });
      await enqueueOutbox(em, ChainPeriodRejected, rejected, row.groupId);
      if (code !== 'root-conflict') await this.deadLetter(em, row, reason);
    });
    this.alarms.alarm(code, `${this.describe(row)} will not be committed: ${reason}`, this.name);
  }

  private async deadLetter(em: EntityManager, row: PeriodCommitRow, reason: string): Promise<void> {
    const envelope = MessageDeadLettered.create({
      idParts: [STREAMS.BALANCING.name, 'chain-bridge', row.source.eventId, 'refused'],
      occurredAt: this.clock.now(),
      data: {
        stream: STREAMS.BALANCING.name,
        consumer: 'chain-bridge',
        subject: row.source.subject,
        streamSequence: row.source.sequence,
        deliveries: 1,
        reason,
        payloadBase64: Buffer.from(row.source.payload).toString('base64'),
      },
    });
    await enqueueOutbox(em, MessageDeadLettered, envelope, STREAMS.BALANCING.name);
  }
}

const timeToConfirm = () => histogram('gridledger_chain_time_to_confirm_seconds', 'From a settled version received to its commit confirmed on chain', 's');

/** Runs chain work for a row as a span in the settled event's trace, so chain.* events join it. */
function inTrace<T>(row: PeriodCommitRow, name: string, fn: () => Promise<T>): Promise<T> {
  const parent = extractTraceContext(recordCarrier({ ...row.traceHeaders }));
  return withSpan(name, { parent, attributes: { 'gridledger.group': row.groupId, 'gridledger.period': row.periodId, 'gridledger.version': row.version } }, fn);
}
