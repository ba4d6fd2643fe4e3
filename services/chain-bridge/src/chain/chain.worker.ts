import type { QueryRunner } from 'typeorm';
import type { BlockRef } from './cascade.client';
import { BridgeContext, bridgeMetrics } from './bridge-context';
import { RpcUnavailableError } from './json-rpc.client';

export interface ChainRound {
  round(head: BlockRef): Promise<void>;
}

export interface ChainWorkerOptions {
  readonly pollIntervalMs: number;
  readonly retryMaxMs: number;
}

const LEADER_LOCK = 'chain-bridge:chain-worker';

/**
 * The one loop that talks to the chain. Every round reads the head, moves the persisted block
 * cursor (noticing reorgs), then lets commits and finalizations advance. When the chain does
 * not answer it backs off exponentially up to a ceiling and carries on where the database
 * says it was. One replica at a time holds the leader lock (a Postgres advisory lock), so
 * nonces are never used by two processes.
 */
export class ChainWorker {
  private running = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lockHolder: QueryRunner | undefined;
  private failures = 0;

  constructor(
    private readonly ctx: BridgeContext,
    private readonly rounds: readonly ChainRound[],
    private readonly options: ChainWorkerOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    if (this.lockHolder) {
      await this.lockHolder.query(`SELECT pg_advisory_unlock(hashtext($1))`, [LEADER_LOCK]).catch(() => undefined);
      await this.lockHolder.release();
      this.lockHolder = undefined;
    }
  }

  /** Work arrived: run a round now rather than at the next tick. */
  kick(): void {
    this.wake?.();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let delay = this.options.pollIntervalMs;
      try {
        if (await this.isLeader()) {
          const head = await this.ctx.client.head();
          await this.advanceCursor(head);
          for (const round of this.rounds) await round.round(head);
          if (this.failures > 0) this.ctx.log.log(`chain answers again after ${this.failures} failed rounds; catching up`, 'ChainWorker');
          this.failures = 0;
        } else {
          delay = this.options.pollIntervalMs * 5;
        }
      } catch (error) {
        this.failures += 1;
        delay = Math.min(this.options.retryMaxMs, this.options.pollIntervalMs * 2 ** Math.min(this.failures, 16));
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof RpcUnavailableError) {
          bridgeMetrics.rpcFailures().add(1);
          this.ctx.log.warn(`chain unreachable (${message}); retry ${this.failures} in ${delay} ms`, 'ChainWorker');
        } else {
          this.ctx.log.error(`chain round failed: ${message}; retry ${this.failures} in ${delay} ms`, 'ChainWorker');
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
        this.ctx.log.warn('lost the connection holding the chain worker lock; competing for it again', 'ChainWorker');
        await this.lockHolder.release().catch(() => undefined);
        this.lockHolder = undefined;
      }
    }
    const runner = this.ctx.db.createQueryRunner();
    await runner.connect();
    const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [LEADER_LOCK])) as { locked: boolean }[];
    if (!locked) {
      await runner.release();
      return false;
    }
    this.lockHolder = runner;
    this.ctx.log.log('this replica now runs the chain worker', 'ChainWorker');
    return true;
  }

  /** The persisted cursor: the last head seen. A different hash at its height means a reorg. */
  private async advanceCursor(head: BlockRef): Promise<void> {
    const rows = (await this.ctx.db.query(`SELECT block_number, block_hash FROM chain_cursor WHERE name = 'head'`)) as { block_number: string; block_hash: string }[];
    if (rows.length > 0) {
      const seen = { number: Number(rows[0].block_number), hash: rows[0].block_hash };
      const hashNow = seen.number <= head.number ? await this.ctx.client.blockHashAt(seen.number) : null;
      if (hashNow !== seen.hash) {
        bridgeMetrics.reorgs().add(1, { kind: 'head' });
        this.ctx.log.warn(`reorg: block ${seen.number} was ${seen.hash}, now ${hashNow ?? 'gone'} (head ${head.number}); re-checking every open commit`, 'ChainWorker');
      }
    }
    await this.ctx.db.query(
      `INSERT INTO chain_cursor (name, block_number, block_hash) VALUES ('head', $1, $2)
       ON CONFLICT (name) DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash, updated_at = now()`,
      [head.number, head.hash],
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
