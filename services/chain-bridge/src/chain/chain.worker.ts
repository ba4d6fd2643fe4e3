import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { InjectConfig, InjectDataSource, InjectLogger } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';
import type { ChainBridgeConfig } from '../config';
import { bridgeMetrics } from './bridge.metrics';
import { BlockRef, CascadeClient } from './cascade.client';
import { ChainCursorRepository } from './chain-cursor.repository';
import { ChainIdentity } from './chain-identity';
import { RpcUnavailableError } from './json-rpc.client';
import { WorkerWakeup } from './worker-wakeup';

export interface ChainRound {
  /** 'commit' or 'finalize': names the leader lock, so a committer and a finalizer on one database never wait for each other. */
  readonly kind: string;
  round(head: BlockRef): Promise<void>;
}

/** The rounds the worker runs: a committer's commits, or a finalizer's finalizations. */
export const CHAIN_ROUNDS = Symbol('chain-bridge.chainRounds');

/**
 * The one loop that talks to the chain. Every round reads the head, moves the persisted block
 * cursor (noticing reorgs), then lets commits and finalizations advance. When the chain does
 * not answer it backs off exponentially up to a ceiling and carries on where the database
 * says it was. One replica at a time holds the leader lock (a Postgres advisory lock), so
 * nonces are never used by two processes. The leader also listens for WorkerWakeup's
 * notifications, so recorded work starts a round at once instead of at the next poll.
 */
@Injectable()
export class ChainWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lockHolder: QueryRunner | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  private wakeRequested = false;
  private failures = 0;
  private readonly leaderLock: string;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly client: CascadeClient,
    private readonly chain: ChainIdentity,
    private readonly cursor: ChainCursorRepository,
    private readonly wakeup: WorkerWakeup,
    @Inject(CHAIN_ROUNDS) private readonly rounds: readonly ChainRound[],
    @InjectConfig() private readonly config: ChainBridgeConfig,
    @InjectLogger() private readonly log: JsonLogger,
  ) {
    this.leaderLock = `chain-bridge:chain-worker:${rounds.map((round) => round.kind).join('+')}`;
  }

  onApplicationBootstrap(): void {
    const doing = this.config.CHAIN_MODE === 'finalizer' ? 'finalizing as the TSO' : 'committing as the BRP';
    this.log.log(`${doing} on ${this.config.CHAIN_CASCADE_ADDRESS}`, 'ChainWorker');
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp();
    await this.loopDone;
    await this.releaseLeadership(true);
  }

  private async releaseLeadership(unlock: boolean): Promise<void> {
    const holder = this.lockHolder;
    if (!holder) return;
    this.lockHolder = undefined;
    await this.stopListening?.().catch(() => undefined);
    this.stopListening = undefined;
    if (unlock) await holder.query(`SELECT pg_advisory_unlock(hashtext($1))`, [this.leaderLock]).catch(() => undefined);
    await holder.release().catch(() => undefined);
  }

  private async loop(): Promise<void> {
    const pollIntervalMs = this.config.CHAIN_POLL_INTERVAL_MS;
    while (this.running) {
      let delay = pollIntervalMs;
      try {
        if (await this.isLeader()) {
          await this.chain.id();
          const head = await this.client.head();
          await this.advanceCursor(head);
          for (const round of this.rounds) await round.round(head);
          if (this.failures > 0) this.log.log(`chain answers again after ${this.failures} failed rounds; catching up`, 'ChainWorker');
          this.failures = 0;
        } else {
          delay = pollIntervalMs * 5;
        }
      } catch (error) {
        this.failures += 1;
        delay = Math.min(this.config.CHAIN_RETRY_MAX_MS, pollIntervalMs * 2 ** Math.min(this.failures, 16));
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof RpcUnavailableError) {
          bridgeMetrics.rpcFailures().add(1);
          this.log.warn(`chain unreachable (${message}); retry ${this.failures} in ${delay} ms`, 'ChainWorker');
        } else {
          this.log.error(`chain round failed: ${message}; retry ${this.failures} in ${delay} ms`, 'ChainWorker');
        }
      }
      await this.sleep(delay);
    }
  }

  private async isLeader(): Promise<boolean> {
    if (this.lockHolder) {
      // The lock lives as long as its session: if that connection is gone, so is the lock.
      try {
        await this.lockHolder.query('SELECT 1');
        return true;
      } catch {
        this.log.warn('lost the connection holding the chain worker lock; competing for it again', 'ChainWorker');
        await this.releaseLeadership(false);
      }
    }
    const runner = this.db.createQueryRunner();
    await runner.connect();
    const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [this.leaderLock])) as { locked: boolean }[];
    if (!locked) {
      await runner.release();
      return false;
    }
    this.lockHolder = runner;
    this.stopListening = await this.wakeup.listen(runner, () => this.wakeUp());
    this.log.log('this replica now runs the chain worker', 'ChainWorker');
    return true;
  }

  /** The persisted cursor: the last head seen. A different hash at its height means a reorg. */
  private async advanceCursor(head: BlockRef): Promise<void> {
    const seen = await this.cursor.head(this.db.manager);
    if (seen) {
      const hashNow = seen.number <= head.number ? await this.client.blockHashAt(seen.number) : null;
      if (hashNow !== seen.hash) {
        bridgeMetrics.reorgs().add(1, { kind: 'head' });
        this.log.warn(`reorg: block ${seen.number} was ${seen.hash}, now ${hashNow ?? 'gone'} (head ${head.number}); re-checking every open commit`, 'ChainWorker');
      }
    }
    await this.cursor.saveHead(this.db.manager, head);
  }

  /** Ends the current sleep, or the next one if a round is running (its rows may predate the work). */
  private wakeUp(): void {
    if (this.wake) this.wake();
    else this.wakeRequested = true;
  }

  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested || !this.running) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
