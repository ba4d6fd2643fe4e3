import { toBeHex } from 'ethers';
import type { EntityManager } from 'typeorm';
import { ChainPeriodCommitted, ChainPeriodConfirmed, ChainPeriodRejected, MessageDeadLettered } from '@gridledger/events';
import { enqueueOutbox } from '@gridledger/messaging';
import { STREAMS } from '@gridledger/messaging';
import { groupKey } from '@gridledger/contracts';
import { extractTraceContext, histogram, recordCarrier, withSpan } from '@gridledger/telemetry';
import { INPUTS_NOT_ATTESTED, type BlockRef } from '../chain/cascade.client';
import { classifyRefusal, decideCommit } from './commit-decision';
import { bridgeMetrics } from '../chain/bridge-context';
import { SubmittingRound } from '../chain/submitting-round';
import { RpcResponseError, RpcUnavailableError } from '../chain/json-rpc.client';
import { PeriodCommitRepository, PeriodCommitRow, commitSubjectKey, raiseAlarm } from './period-commit.repository';

const BATCH = 100;

/**
 * Takes each recorded version to the chain and sees it confirmed:
 * pending → (read chain, simulate, sign + record, broadcast) → submitted → (receipt) →
 * included → (depth reached, block still canonical) → confirmed. A reorg sends an included
 * commit back to pending; pending always reads the chain first, so a version already there
 * is adopted, never sent twice, and one there with another root is an alarm.
 */
export class CommitWorker extends SubmittingRound {
  private readonly commits = new PeriodCommitRepository();

  protected async trackSubmitted(): Promise<void> {
    for (const row of await this.commits.withStatus(this.ctx.db.manager, 'submitted', BATCH)) {
      const key = commitSubjectKey(row);
      const outcome = await this.sender.track('commit', key);
      if (outcome.kind === 'pending') continue;
      await inTrace(row, 'chain.commit.track', () => this.ctx.db.transaction(async (em) => {
        await this.sender.settle(em, key, outcome);
        if (outcome.kind === 'mined') {
          await this.markIncluded(em, row, outcome.receipt.transactionHash, { number: outcome.receipt.blockNumber, hash: outcome.receipt.blockHash });
        } else {
          // Reverted or lost: decide afresh from the chain's state next round.
          const reason = outcome.kind === 'reverted' ? `transaction ${outcome.receipt.transactionHash} reverted` : 'transaction lost before mining';
          await this.commits.update(em, row, { status: 'pending', lastError: reason, countAttempt: outcome.kind === 'reverted' });
        }
      }));
    }
  }

  protected async checkIncluded(head: BlockRef): Promise<void> {
    for (const row of await this.commits.withStatus(this.ctx.db.manager, 'included', BATCH)) {
      const blockNumber = row.blockNumber as number;
      const canonical = await this.ctx.client.blockHashAt(blockNumber);
      if (canonical !== row.blockHash) {
        bridgeMetrics.reorgs().add(1, { kind: 'commit' });
        this.ctx.log.warn(`reorg: ${row.groupId} ${row.periodId} v${row.version} left block ${blockNumber} (${row.blockHash}); re-checking the chain`, 'CommitWorker');
        await this.commits.update(this.ctx.db.manager, row, { status: 'pending', txHash: null, lastError: `reorged out of block ${blockNumber}` });
        continue;
      }
      const depth = head.number - blockNumber + 1;
      if (depth < this.ctx.confirmations) continue;
      await inTrace(row, 'chain.commit.confirm', () => this.ctx.db.transaction(async (em) => {
        await this.commits.update(em, row, { status: 'confirmed' });
        const envelope = ChainPeriodConfirmed.create({
          idParts: [row.groupId, row.periodId, String(row.version), row.blockHash as string],
          occurredAt: new Date(),
          data: {
            ...this.anchoredVersion(row),
            txHash: row.txHash as string,
            blockNumber,
            blockHash: row.blockHash as string,
            confirmations: this.ctx.confirmations,
          },
        });
        await enqueueOutbox(em, ChainPeriodConfirmed, envelope);
      }));
      bridgeMetrics.confirmed().add(1, { kind: 'commit' });
      timeToConfirm().record((Date.now() - row.receivedAt.getTime()) / 1000);
      this.ctx.log.log(`confirmed ${row.groupId} ${row.periodId} v${row.version} at depth ${depth} (tx ${row.txHash})`, 'CommitWorker');
    }
  }

  protected async sendDue(): Promise<void> {
    for (const row of await this.commits.withStatus(this.ctx.db.manager, 'pending', BATCH, true)) {
      try {
        await inTrace(row, 'chain.commit.decide', () => this.decide(row));
      } catch (error) {
        if (error instanceof RpcUnavailableError) throw error;
        // One row that cannot be decided must not hold back the others.
        const message = error instanceof Error ? error.message : String(error);
        this.ctx.log.error(`${row.groupId} ${row.periodId} v${row.version}: ${message}; retrying later`, 'CommitWorker');
        await this.commits.update(this.ctx.db.manager, row, { status: 'pending', lastError: message, retryInMs: this.ctx.retryMs * 10 });
      }
    }
  }

  /** Reads the chain before sending anything: that is what makes a restart safe. */
  private async decide(row: PeriodCommitRow): Promise<void> {
    const group = groupKey(row.groupId);
    const latestVersion = await this.ctx.client.latestVersion(group, row.periodStart);
    const rootOfVersion = latestVersion >= row.version ? await this.ctx.client.rootOf(group, row.periodStart, row.version) : null;
    const decision = decideCommit(row.version, row.merkleRoot, { latestVersion, rootOfVersion });
    switch (decision.kind) {
      case 'adopt':
        return this.adopt(row);
      case 'conflict':
        return this.reject(row, 'root-conflict', `the chain holds version ${row.version} with root ${decision.chainRoot}, not ${row.merkleRoot}`, null, decision.chainRoot);
      case 'wait':
        return this.commits.update(this.ctx.db.manager, row, { status: 'pending', lastError: decision.reason, retryInMs: this.ctx.retryMs });
      case 'send':
        return this.send(row);
      default: {
        const unexpected: never = decision;
        throw new Error(`unknown decision ${JSON.stringify(unexpected)}`);
      }
    }
  }

  private async send(row: PeriodCommitRow): Promise<void> {
    const data = this.ctx.client.commitCalldata(groupKey(row.groupId), row.periodStart, row.version, row.totals, row.merkleRoot, row.meterCount, INPUTS_NOT_ATTESTED);
    const simulation = await this.ctx.client.simulate(this.sender.address, data);
    if (!simulation.ok) {
      const action = classifyRefusal(simulation.revert, { attempts: row.attempts, committer: this.sender.address, groupId: row.groupId });
      if (action.kind === 'reject') await this.reject(row, action.code, action.reason, simulation.revert.errorName, null);
      else await this.commits.update(this.ctx.db.manager, row, { status: 'pending', lastError: action.reason, countAttempt: action.countAttempt, retryInMs: this.ctx.retryMs * action.delayFactor });
      return;
    }
    const submission = await this.ctx.db.transaction(async (em) => {
      const signed = await this.sender.sign(em, 'commit', commitSubjectKey(row), data, simulation.gas);
      await this.commits.update(em, row, { status: 'submitted', txHash: signed.txHash, lastError: null, countAttempt: true });
      return signed;
    });
    bridgeMetrics.submissions().add(1, { kind: 'commit' });
    this.ctx.log.log(`sent ${row.groupId} ${row.periodId} v${row.version}: tx ${submission.txHash} nonce ${submission.nonce}`, 'CommitWorker');
    try {
      await this.sender.broadcast(submission);
    } catch (error) {
      if (!(error instanceof RpcResponseError)) throw error;
      // Recorded as sent: tracking retries the broadcast or retires it next round.
      this.ctx.log.warn(`the node refused tx ${submission.txHash}: ${error.rpcMessage}`, 'CommitWorker');
    }
  }

  /** The version is already on chain with our root (a restart, or our reorged tx re-mined). */
  private async adopt(row: PeriodCommitRow): Promise<void> {
    const group = groupKey(row.groupId);
    // The contract keeps the block of the latest version only; an earlier one is searched for.
    const latestBlock = await this.ctx.client.commitmentBlock(group, row.periodStart, row.version);
    const [from, to] = latestBlock === null ? [0, (await this.ctx.client.head()).number] : [latestBlock, latestBlock];
    const found = await this.ctx.client.findEventTx('PeriodCommitted', [group, toBeHex(row.periodStart, 32)], from, to, (args) => Number(args[2]) === row.version);
    if (!found) throw new Error(`version ${row.version} of ${row.groupId} ${row.periodId} is on chain but its PeriodCommitted event in blocks ${from}-${to} was not found`);
    const { txHash, blockHash, blockNumber } = found;
    this.ctx.log.log(`found ${row.groupId} ${row.periodId} v${row.version} already on chain in block ${blockNumber}: not sending it again`, 'CommitWorker');
    await this.ctx.db.transaction((em) => this.markIncluded(em, row, txHash, { number: blockNumber, hash: blockHash }));
  }

  private async markIncluded(em: EntityManager, row: PeriodCommitRow, txHash: string, block: BlockRef): Promise<void> {
    await this.commits.update(em, row, { status: 'included', txHash, blockNumber: block.number, blockHash: block.hash, lastError: null });
    const envelope = ChainPeriodCommitted.create({
      idParts: [row.groupId, row.periodId, String(row.version), block.hash],
      occurredAt: new Date(),
      data: {
        ...this.anchoredVersion(row),
        txHash,
        blockNumber: block.number,
        blockHash: block.hash,
      },
    });
    await enqueueOutbox(em, ChainPeriodCommitted, envelope, row.groupId);
  }

  /** The version and where it is anchored: what the committed and confirmed events both carry. */
  private anchoredVersion(row: PeriodCommitRow): { groupId: string; periodId: string; version: number; merkleRoot: string; chainId: number; contract: string } {
    return { groupId: row.groupId, periodId: row.periodId, version: row.version, merkleRoot: row.merkleRoot, chainId: this.ctx.chainId, contract: this.ctx.client.address };
  }

  /** Not anchored, not retried: recorded, alarmed, published, and the source dead-lettered. */
  private async reject(row: PeriodCommitRow, code: 'role-violation' | 'invalid' | 'root-conflict', reason: string, contractError: string | null, chainRoot: string | null): Promise<void> {
    await this.ctx.db.transaction(async (em) => {
      await this.commits.update(em, row, { status: code === 'root-conflict' ? 'conflict' : 'rejected', lastError: reason });
      await raiseAlarm(em, { kind: code, groupId: row.groupId, periodId: row.periodId, version: row.version, detail: reason });
      const rejected = ChainPeriodRejected.create({
        idParts: [row.groupId, row.periodId, String(row.version), code],
        occurredAt: new Date(),
        data: { groupId: row.groupId, periodId: row.periodId, version: row.version, merkleRoot: row.merkleRoot, code, reason, contractError, chainRoot },
      });
      await enqueueOutbox(em, ChainPeriodRejected, rejected, row.groupId);
      if (code !== 'root-conflict') await this.deadLetter(em, row, reason);
    });
    bridgeMetrics.alarms().add(1, { kind: code });
    this.ctx.log.error(`${code}: ${row.groupId} ${row.periodId} v${row.version} will not be committed: ${reason}`, 'CommitWorker');
  }

  private async deadLetter(em: EntityManager, row: PeriodCommitRow, reason: string): Promise<void> {
    const envelope = MessageDeadLettered.create({
      idParts: [STREAMS.BALANCING.name, 'chain-bridge', row.source.eventId, 'refused'],
      occurredAt: new Date(),
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
