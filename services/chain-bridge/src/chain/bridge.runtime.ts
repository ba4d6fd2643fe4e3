import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Wallet } from 'ethers';
import type { DataSource } from 'typeorm';
import { BalancingPeriodClosed, BalancingPeriodSettled } from '@gridledger/events';
import { STREAMS } from '@gridledger/messaging';
import { ConsumerHost, InjectConfig, InjectDataSource, InjectLogger } from '@gridledger/service-kit';
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
 * Wires the bridge: the consumers that record settled and closed periods, and the chain
 * worker that anchors them. The chain id is read from the node on the first round that
 * reaches it, so the bridge starts (and consumes) while the chain is still down.
 */
@Injectable()
export class BridgeRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly client: CascadeClient;
  private chainId: number | undefined;
  private worker: ChainWorker | undefined;

  constructor(
    @InjectConfig() private readonly config: ChainBridgeConfig,
    @InjectDataSource() private readonly db: DataSource,
    @InjectLogger() private readonly logger: JsonLogger,
    @Inject(ConsumerHost) private readonly consumers: ConsumerHost,
  ) {
    this.client = new CascadeClient(new JsonRpcClient(config.CHAIN_RPC_URL, config.CHAIN_RPC_TIMEOUT_MS), config.CHAIN_CASCADE_ADDRESS);
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

    const settled = new SettledHandler(new PeriodCommitRepository(), {
      alarm: (kind, message) => {
        bridgeMetrics.alarms().add(1, { kind });
        this.logger.error(`${kind}: ${message}`, 'SettledHandler');
      },
    });
    const closed = new ClosedHandler(new PeriodFinalizationRepository());
    await this.consumers.start({
      stream: STREAMS.BALANCING.name,
      durable: 'chain-bridge-settled',
      events: [BalancingPeriodSettled],
      handle: (event, em) => settled.handle(event, em),
      afterCommit: () => this.worker?.kick(),
    });
    await this.consumers.start({
      stream: STREAMS.BALANCING.name,
      durable: 'chain-bridge-closed',
      events: [BalancingPeriodClosed],
      handle: (event, em) => closed.handle(event, em),
      afterCommit: () => this.worker?.kick(),
    });
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
