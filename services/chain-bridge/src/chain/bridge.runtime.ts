import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Wallet } from 'ethers';
import type { DataSource } from 'typeorm';
import { InjectConfig, InjectDataSource, InjectLogger } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';
import { SettledHandler } from '../commits/settled.handler';
import { CommitWorker } from '../commits/commit.worker';
import { PeriodCommitRepository } from '../commits/period-commit.repository';
import { ClosedHandler } from '../finalization/closed.handler';
import { FinalizationWorker } from '../finalization/finalization.worker';
import { PeriodFinalizationRepository } from '../finalization/period-finalization.repository';
import type { ChainBridgeConfig } from '../config';
import { BridgeContext, bridgeMetrics } from './bridge-context';
import { CascadeClient } from './cascade.client';
import { ChainRound, ChainWorker } from './chain.worker';
import { JsonRpcClient } from './json-rpc.client';
import { TransactionSender } from './transaction.sender';

const GWEI = 1_000_000_000n;

/**
 * Wires the bridge: the handlers that record settled and closed periods (run by the stream
 * controllers), and the chain worker that anchors them. The chain id is read from the node on the first round that
 * reaches it, so the bridge starts (and consumes) while the chain is still down.
 */
@Injectable()
export class BridgeRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly client: CascadeClient;
  readonly settled: SettledHandler;
  readonly closed: ClosedHandler;
  private chainId: number | undefined;
  private worker: ChainWorker | undefined;

  constructor(
    @InjectConfig() private readonly config: ChainBridgeConfig,
    @InjectDataSource() private readonly db: DataSource,
    @InjectLogger() private readonly logger: JsonLogger,
  ) {
    this.client = new CascadeClient(new JsonRpcClient(config.CHAIN_RPC_URL, config.CHAIN_RPC_TIMEOUT_MS), config.CHAIN_CASCADE_ADDRESS);
    this.settled = new SettledHandler(new PeriodCommitRepository(), {
      alarm: (kind, message) => {
        bridgeMetrics.alarms().add(1, { kind });
        this.logger.error(`${kind}: ${message}`, 'SettledHandler');
      },
    });
    this.closed = new ClosedHandler(new PeriodFinalizationRepository());
  }

  /** Something new was committed for the chain: start a round now rather than at the next poll. */
  kick(): void {
    this.worker?.kick();
  }

  /** The chain id once known (null before the chain first answered). */
  get knownChainId(): number | null {
    return this.chainId ?? null;
  }

  async onApplicationBootstrap(): Promise<void> {
    const config = this.config;
    const committer = new Wallet(config.CHAIN_COMMITTER_KEY);
    const tso = config.CHAIN_TSO_KEY ? new Wallet(config.CHAIN_TSO_KEY) : undefined;
    this.logger.log(`committing as ${committer.address}${tso ? `, finalizing as ${tso.address}` : ', not finalizing (no CHAIN_TSO_KEY)'} on ${config.CHAIN_CASCADE_ADDRESS}`, 'BridgeRuntime');

    let rounds: ChainRound[] | undefined;
    const lazyRounds: ChainRound = {
      round: async (head) => {
        if (!rounds) rounds = await this.buildRounds(committer, tso);
        for (const round of rounds) await round.round(head);
      },
    };
    const ctx = this.context(0);
    this.worker = new ChainWorker(ctx, [lazyRounds], { pollIntervalMs: config.CHAIN_POLL_INTERVAL_MS, retryMaxMs: config.CHAIN_RETRY_MAX_MS });
    this.worker.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.stop();
  }

  private async buildRounds(committer: Wallet, tso: Wallet | undefined): Promise<ChainRound[]> {
    this.chainId = await this.client.chainId();
    const ctx = this.context(this.chainId);
    const senderOptions = { stuckAfterMs: this.config.CHAIN_STUCK_AFTER_MS, maxBumps: this.config.CHAIN_MAX_FEE_BUMPS, maxFeeCapWei: BigInt(this.config.CHAIN_MAX_FEE_GWEI) * GWEI };
    const rounds: ChainRound[] = [new CommitWorker(ctx, new TransactionSender(committer, this.client, this.db, this.chainId, senderOptions))];
    if (tso) rounds.push(new FinalizationWorker(ctx, new TransactionSender(tso, this.client, this.db, this.chainId, senderOptions)));
    return rounds;
  }

  private context(chainId: number): BridgeContext {
    return {
      db: this.db,
      client: this.client,
      chainId,
      confirmations: this.config.CHAIN_CONFIRMATIONS,
      retryMs: this.config.CHAIN_POLL_INTERVAL_MS,
      log: this.logger,
    };
  }
}
