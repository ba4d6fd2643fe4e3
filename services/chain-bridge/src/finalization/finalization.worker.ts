import { Inject, Injectable } from '@nestjs/common';
import { toBeHex } from 'ethers';
import type { DataSource, EntityManager } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import { ChainPeriodFinalized } from '@gridledger/events';
import { enqueueOutbox } from '@gridledger/messaging';
import { formatWh } from '@gridledger/domain';
import { InjectClock, InjectConfig, InjectDataSource, InjectLogger } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';
import type { ChainBridgeConfig } from '../config';
import { BridgeAlarms } from '../chain/bridge-alarms';
import { BlockRef, CascadeClient, Totals } from '../chain/cascade.client';
import { ChainIdentity } from '../chain/chain-identity';
import { ChainSubmissionStep, SendBack, SubmittingRound } from '../chain/submitting-round';
import { RpcUnavailableError } from '../chain/json-rpc.client';
import { FINALIZE_SENDER, TransactionSender } from '../chain/transaction.sender';
import { groupKey } from '@gridledger/contracts';
import { raiseAlarm } from '../commits/period-commit.repository';
import { ChainCommitment, checkMarketTotals } from './market-check';
import { PeriodFinalizationRepository, PeriodFinalizationRow, finalizeSubjectKey } from './period-finalization.repository';

const BATCH = 50;

/**
 * The TSO's step, in the finalizer (its own process and key, CHAIN_MODE=finalizer): once
 * every group version of a period's latest summary is confirmed on chain, it recomputes the
 * market totals from the groups' commitments on chain and checks them against balancing's
 * group totals and roots (checkMarketTotals); when they agree it finalizes with them, when
 * they differ it refuses (status rejected, an alarm: log, metric and /alarms). Then it
 * tracks, confirms and publishes the finalization the same way commits are (waiting →
 * submitted → included → confirmed). Enabled only with a CHAIN_TSO_KEY (FINALIZE_SENDER).
 */
@Injectable()
export class FinalizationWorker extends SubmittingRound<PeriodFinalizationRow> {
  readonly kind = 'finalize' as const;
  readonly name = 'FinalizationWorker';

  constructor(
    step: ChainSubmissionStep,
    @Inject(FINALIZE_SENDER) sender: TransactionSender | null,
    private readonly finalizations: PeriodFinalizationRepository,
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

  subjectKey(row: PeriodFinalizationRow): string {
    return finalizeSubjectKey(row);
  }

  describe(row: PeriodFinalizationRow): string {
    return `finalization of ${row.periodId} (revision ${row.revision})`;
  }

  withStatus(em: EntityManager, status: 'submitted' | 'included'): Promise<PeriodFinalizationRow[]> {
    return this.finalizations.withStatus(em, status, BATCH);
  }

  async markSubmitted(em: EntityManager, row: PeriodFinalizationRow, txHash: string): Promise<void> {
    await this.finalizations.update(em, row, { status: 'submitted', txHash });
  }

  async markIncluded(em: EntityManager, row: PeriodFinalizationRow, txHash: string, block: BlockRef): Promise<void> {
    await this.finalizations.update(em, row, { status: 'included', txHash, blockNumber: block.number, blockHash: block.hash });
  }

  async sendBack(em: EntityManager, row: PeriodFinalizationRow, why: SendBack): Promise<void> {
    await this.finalizations.update(em, row, { status: 'waiting', lastError: why.reason, ...(why.clearPosition ? { txHash: null } : {}) });
  }

  async markConfirmed(em: EntityManager, row: PeriodFinalizationRow): Promise<void> {
    await this.finalizations.update(em, row, { status: 'confirmed' });
    await this.publish(em, row);
  }

  protected async sendDue(): Promise<void> {
    for (const row of await this.finalizations.withStatus(this.db.manager, 'waiting', BATCH, true)) {
      try {
        await this.decide(row);
      } catch (error) {
        if (error instanceof RpcUnavailableError) throw error;
        const message = error instanceof Error ? error.message : String(error);
        this.log.error(`${this.describe(row)}: ${message}; retrying later`, this.name);
        await this.finalizations.update(this.db.manager, row, { status: 'waiting', lastError: message, retryInMs: this.config.CHAIN_POLL_INTERVAL_MS * 10 });
      }
    }
  }

  private async decide(row: PeriodFinalizationRow): Promise<void> {
    const head = await this.client.head();
    const onChain = await this.commitmentsOf(row);
    const check = checkMarketTotals(row, onChain, { head: head.number, confirmations: this.config.CHAIN_CONFIRMATIONS });
    if (check.kind === 'wait') {
      await this.finalizations.update(this.db.manager, row, { status: 'waiting', lastError: check.reason, retryInMs: this.config.CHAIN_POLL_INTERVAL_MS });
      return;
    }
    if (check.kind === 'refuse') {
      await this.db.transaction(async (em) => {
        await this.finalizations.update(em, row, { status: 'rejected', lastError: check.reason });
        await raiseAlarm(em, { kind: 'finalization-refused', periodId: row.periodId, detail: check.reason });
      });
      this.alarms.alarm('finalization-refused', `will not finalize ${row.periodId} (revision ${row.revision}): ${check.reason}`, this.name);
      return;
    }
    const state = await this.client.periodState(row.periodStart);
    if (state.finalized && sameTotals(state.sums, row.totals)) {
      await this.adopt(row, onChain);
      return;
    }
    const data = this.client.finalizeCalldata(row.periodStart, row.totals);
    const simulation = await this.client.simulate(this.sender.address, data);
    if (!simulation.ok) {
      const { errorName, args, message } = simulation.revert;
      const reason = errorName ? `${errorName}(${args.map(String).join(', ')})` : message;
      if (errorName === 'CascadeUnauthorizedFinalizer') {
        await this.db.transaction(async (em) => {
          await this.finalizations.update(em, row, { status: 'rejected', lastError: reason });
          await raiseAlarm(em, { kind: 'role-violation', periodId: row.periodId, detail: `the TSO key ${this.sender.address} lacks the TSO role: ${reason}` });
        });
        this.alarms.alarm('role-violation', `cannot finalize ${row.periodId}: ${reason}`, this.name);
        return;
      }
      // Groups missing or sums that differ: a newer version or revision is on its way.
      await this.finalizations.update(this.db.manager, row, { status: 'waiting', lastError: reason, retryInMs: this.config.CHAIN_POLL_INTERVAL_MS * 5 });
      return;
    }
    await this.step.submit(this, this.sender, row, data, simulation.gas);
  }

  /** Each summary group's latest commitment as the chain holds it. */
  private async commitmentsOf(row: PeriodFinalizationRow): Promise<Map<string, ChainCommitment>> {
    const entries = await Promise.all(row.groups.map(async (group) => [group.groupId, await this.client.latestCommitment(groupKey(group.groupId), row.periodStart)] as const));
    return new Map(entries);
  }

  /** Already finalized with these totals (a restart after sending): find the block, don't resend. */
  private async adopt(row: PeriodFinalizationRow, onChain: ReadonlyMap<string, ChainCommitment>): Promise<void> {
    const from = Math.min(...[...onChain.values()].map((c) => c.blockNumber));
    const head = await this.client.head();
    const found = await this.client.findEventTx('PeriodFinalized', [toBeHex(row.periodStart, 32)], from, head.number, () => true);
    if (!found) throw new Error(`period ${row.periodId} is finalized on chain but its PeriodFinalized event was not found`);
    await this.markIncluded(this.db.manager, row, found.txHash, { number: found.blockNumber, hash: found.blockHash });
  }

  private async publish(em: EntityManager, row: PeriodFinalizationRow): Promise<void> {
    const envelope = ChainPeriodFinalized.create({
      idParts: [row.periodId, String(row.revision), row.blockHash as string],
      occurredAt: this.clock.now(),
      data: {
        periodId: row.periodId,
        revision: row.revision,
        groups: row.groups.map((group) => ({ groupId: group.groupId, version: group.version })),
        totals: {
          feedInWh: formatWh(row.totals.feedInWh),
          feedOutWh: formatWh(row.totals.feedOutWh),
          scheduleNetWh: formatWh(row.totals.scheduleNetWh),
          imbalanceWh: formatWh(row.totals.imbalanceWh),
        },
        confirmations: this.config.CHAIN_CONFIRMATIONS,
        chainId: await this.chain.id(),
        contract: this.client.address,
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
