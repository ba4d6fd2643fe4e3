import { toBeHex } from 'ethers';
import type { EntityManager } from 'typeorm';
import { ChainPeriodFinalized } from '@gridledger/events';
import { enqueueOutbox } from '@gridledger/messaging';
import { formatWh } from '@gridledger/domain';
import type { BlockRef, Totals } from '../chain/cascade.client';
import { bridgeMetrics } from '../chain/bridge-context';
import { SubmittingRound } from '../chain/submitting-round';
import { RpcResponseError, RpcUnavailableError } from '../chain/json-rpc.client';
import { PeriodCommitRepository } from '../commits/period-commit.repository';
import { raiseAlarm } from '../commits/period-commit.repository';
import { PeriodFinalizationRepository, PeriodFinalizationRow, finalizeSubjectKey } from './period-finalization.repository';

const BATCH = 50;

/**
 * The TSO's step: once every group version of a period's latest summary is confirmed on
 * chain, finalize the period with the market totals; then track, confirm and publish it the
 * same way commits are (waiting → submitted → included → confirmed).
 */
export class FinalizationWorker extends SubmittingRound {
  private readonly finalizations = new PeriodFinalizationRepository();
  private readonly commits = new PeriodCommitRepository();

  protected async sendDue(): Promise<void> {
    for (const row of await this.finalizations.withStatus(this.ctx.db.manager, 'waiting', BATCH, true)) {
      try {
        await this.decide(row);
      } catch (error) {
        if (error instanceof RpcUnavailableError) throw error;
        const message = error instanceof Error ? error.message : String(error);
        this.ctx.log.error(`finalization of ${row.periodId}: ${message}; retrying later`, 'FinalizationWorker');
        await this.finalizations.update(this.ctx.db.manager, row, { status: 'waiting', lastError: message, retryInMs: this.ctx.retryMs * 10 });
      }
    }
  }

  protected async trackSubmitted(): Promise<void> {
    for (const row of await this.finalizations.withStatus(this.ctx.db.manager, 'submitted', BATCH)) {
      const key = finalizeSubjectKey(row);
      const outcome = await this.sender.track('finalize', key);
      if (outcome.kind === 'pending') continue;
      await this.ctx.db.transaction(async (em) => {
        await this.sender.settle(em, key, outcome);
        if (outcome.kind === 'mined') {
          await this.finalizations.update(em, row, { status: 'included', txHash: outcome.receipt.transactionHash, blockNumber: outcome.receipt.blockNumber, blockHash: outcome.receipt.blockHash });
        } else {
          await this.finalizations.update(em, row, { status: 'waiting', lastError: `finalization ${outcome.kind}` });
        }
      });
    }
  }

  protected async checkIncluded(head: BlockRef): Promise<void> {
    for (const row of await this.finalizations.withStatus(this.ctx.db.manager, 'included', BATCH)) {
      const blockNumber = row.blockNumber as number;
      if ((await this.ctx.client.blockHashAt(blockNumber)) !== row.blockHash) {
        bridgeMetrics.reorgs().add(1, { kind: 'finalize' });
        this.ctx.log.warn(`reorg: finalization of ${row.periodId} left block ${blockNumber}; re-checking the chain`, 'FinalizationWorker');
        await this.finalizations.update(this.ctx.db.manager, row, { status: 'waiting', txHash: null, lastError: `reorged out of block ${blockNumber}` });
        continue;
      }
      if (head.number - blockNumber + 1 < this.ctx.confirmations) continue;
      await this.ctx.db.transaction(async (em) => {
        await this.finalizations.update(em, row, { status: 'confirmed' });
        await this.publish(em, row);
      });
      bridgeMetrics.confirmed().add(1, { kind: 'finalize' });
      this.ctx.log.log(`finalized ${row.periodId} (revision ${row.revision}) confirmed, tx ${row.txHash}`, 'FinalizationWorker');
    }
  }

  private async decide(row: PeriodFinalizationRow): Promise<void> {
    const waitingFor = await this.unconfirmedGroups(row);
    if (waitingFor.length > 0) {
      await this.finalizations.update(this.ctx.db.manager, row, { status: 'waiting', lastError: `waiting for confirmed commits of ${waitingFor.join(', ')}`, retryInMs: this.ctx.retryMs });
      return;
    }
    const state = await this.ctx.client.periodState(row.periodStart);
    if (state.finalized && sameTotals(state.sums, row.totals)) {
      await this.adopt(row);
      return;
    }
    const data = this.ctx.client.finalizeCalldata(row.periodStart, row.totals);
    const simulation = await this.ctx.client.simulate(this.sender.address, data);
    if (!simulation.ok) {
      const { errorName, args, message } = simulation.revert;
      const reason = errorName ? `${errorName}(${args.map(String).join(', ')})` : message;
      if (errorName === 'CascadeUnauthorizedFinalizer') {
        await this.ctx.db.transaction(async (em) => {
          await this.finalizations.update(em, row, { status: 'rejected', lastError: reason });
          await raiseAlarm(em, { kind: 'role-violation', periodId: row.periodId, detail: `the TSO key ${this.sender.address} lacks the TSO role: ${reason}` });
        });
        bridgeMetrics.alarms().add(1, { kind: 'role-violation' });
        this.ctx.log.error(`role-violation: cannot finalize ${row.periodId}: ${reason}`, 'FinalizationWorker');
        return;
      }
      // Groups missing or sums that differ: a newer version or revision is on its way.
      await this.finalizations.update(this.ctx.db.manager, row, { status: 'waiting', lastError: reason, retryInMs: this.ctx.retryMs * 5 });
      return;
    }
    const submission = await this.ctx.db.transaction(async (em) => {
      const signed = await this.sender.sign(em, 'finalize', finalizeSubjectKey(row), data, simulation.gas);
      await this.finalizations.update(em, row, { status: 'submitted', txHash: signed.txHash });
      return signed;
    });
    bridgeMetrics.submissions().add(1, { kind: 'finalize' });
    this.ctx.log.log(`sent finalization of ${row.periodId} (revision ${row.revision}): tx ${submission.txHash}`, 'FinalizationWorker');
    try {
      await this.sender.broadcast(submission);
    } catch (error) {
      if (!(error instanceof RpcResponseError)) throw error;
      // Recorded as sent: tracking retries the broadcast or retires it next round.
      this.ctx.log.warn(`the node refused tx ${submission.txHash}: ${error.rpcMessage}`, 'FinalizationWorker');
    }
  }

  private async unconfirmedGroups(row: PeriodFinalizationRow): Promise<string[]> {
    const commits = await this.commits.forPeriod(this.ctx.db.manager, row.periodId);
    return row.groups
      .filter((group) => !commits.some((c) => c.groupId === group.groupId && c.version === group.version && c.status === 'confirmed'))
      .map((group) => `${group.groupId} v${group.version}`);
  }

  /** Already finalized with these totals (a restart after sending): find the block, don't resend. */
  private async adopt(row: PeriodFinalizationRow): Promise<void> {
    const commits = await this.commits.forPeriod(this.ctx.db.manager, row.periodId);
    const from = Math.min(...commits.map((c) => c.blockNumber ?? 0));
    const head = await this.ctx.client.head();
    const found = await this.ctx.client.findEventTx('PeriodFinalized', [toBeHex(row.periodStart, 32)], from, head.number, () => true);
    if (!found) throw new Error(`period ${row.periodId} is finalized on chain but its PeriodFinalized event was not found`);
    await this.finalizations.update(this.ctx.db.manager, row, { status: 'included', txHash: found.txHash, blockNumber: found.blockNumber, blockHash: found.blockHash });
  }

  private async publish(em: EntityManager, row: PeriodFinalizationRow): Promise<void> {
    const envelope = ChainPeriodFinalized.create({
      idParts: [row.periodId, String(row.revision), row.blockHash as string],
      occurredAt: new Date(),
      data: {
        periodId: row.periodId,
        revision: row.revision,
        groups: [...row.groups],
        totals: {
          feedInWh: formatWh(row.totals.feedInWh),
          feedOutWh: formatWh(row.totals.feedOutWh),
          scheduleNetWh: formatWh(row.totals.scheduleNetWh),
          imbalanceWh: formatWh(row.totals.imbalanceWh),
        },
        confirmations: this.ctx.confirmations,
        chainId: this.ctx.chainId,
        contract: this.ctx.client.address,
        txHash: row.txHash as string,
        blockNumber: row.blockNumber as number,
        blockHash: row.blockHash as string,
      },
    });
    await enqueueOutbox(em, ChainPeriodFinalized, envelope);
  }
}

function sameTotals(a: Totals, b: Totals): boolean {
  return a.feedInWh === b.feedInWh && a.feedOutWh === b.feedOutWh && a.scheduleNetWh === b.scheduleNetWh && a.imbalanceWh === b.imbalanceWh;
}
