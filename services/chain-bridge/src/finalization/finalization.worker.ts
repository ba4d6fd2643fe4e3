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
import { PeriodCommitRepository, raiseAlarm } from '../commits/period-commit.repository';
import { PeriodFinalizationRepository, PeriodFinalizationRow, finalizeSubjectKey } from './period-finalization.repository';

const BATCH = 50;

/**
 * The TSO's step: once every group version of a period's latest summary is confirmed on
 * chain, finalize the period with the market totals; then track, confirm and publish it the
 * same way commits are (waiting → submitted → included → confirmed). Provided only with a
 * CHAIN_TSO_KEY (FINALIZE_SENDER); without one it is not enabled and the chain worker leaves it out.
 */
@Injectable()
export class FinalizationWorker extends SubmittingRound<PeriodFinalizationRow> {
  readonly kind = 'finalize' as const;
  readonly name = 'FinalizationWorker';

  constructor(
    step: ChainSubmissionStep,
    @Inject(FINALIZE_SENDER) sender: TransactionSender | null,
    private readonly finalizations: PeriodFinalizationRepository,
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
    const waitingFor = await this.unconfirmedGroups(row);
    if (waitingFor.length > 0) {
      await this.finalizations.update(this.db.manager, row, { status: 'waiting', lastError: `waiting for confirmed commits of ${waitingFor.join(', ')}`, retryInMs: this.config.CHAIN_POLL_INTERVAL_MS });
      return;
    }
    const state = await this.client.periodState(row.periodStart);
    if (state.finalized && sameTotals(state.sums, row.totals)) {
      await this.adopt(row);
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

  private async unconfirmedGroups(row: PeriodFinalizationRow): Promise<string[]> {
    const commits = await this.commits.forPeriod(this.db.manager, row.periodId);
    return row.groups
      .filter((group) => !commits.some((c) => c.groupId === group.groupId && c.version === group.version && c.status === 'confirmed'))
      .map((group) => `${group.groupId} v${group.version}`);
  }

  /** Already finalized with these totals (a restart after sending): find the block, don't resend. */
  private async adopt(row: PeriodFinalizationRow): Promise<void> {
    const commits = await this.commits.forPeriod(this.db.manager, row.periodId);
    const from = Math.min(...commits.map((c) => c.blockNumber ?? 0));
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
        groups: [...row.groups],
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
