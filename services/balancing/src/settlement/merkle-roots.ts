import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Keccak256, PeriodLength } from '@gridledger/domain';
import { EMPTY_MERKLE_ROOT, MeterValue, buildPeriodTree, periodStartSeconds } from '@gridledger/settlement';

/** Computes the Merkle root of a group-period's values (StandardMerkleTree-compatible). */
export interface MerkleRoots {
  rootOf(values: readonly MeterValue[], periodId: string, periodLength: PeriodLength): Promise<string>;
  close(): Promise<void>;
}

/** On the calling thread: for tests, small deployments, and where workers cannot load. */
export class InlineMerkleRoots implements MerkleRoots {
  constructor(private readonly keccak: Keccak256) {}

  async rootOf(values: readonly MeterValue[], periodId: string, periodLength: PeriodLength): Promise<string> {
    return buildPeriodTree(values, periodId, periodLength, this.keccak)?.root ?? EMPTY_MERKLE_ROOT;
  }

  async close(): Promise<void> {}
}

/** What crosses to a worker: columns, not objects, so the copy is cheap. */
export interface MerkleJob {
  readonly id: number;
  /** Meter ids joined by "\n" (ids cannot contain one). */
  readonly meterIds: string;
  /** 1 production, 0 consumption. */
  readonly directions: Uint8Array;
  readonly energies: BigUint64Array;
  readonly periodStartSeconds: bigint;
}

export type MerkleResult = { readonly id: number; readonly root: string } | { readonly id: number; readonly error: string };

const MAX_UINT64 = (1n << 64n) - 1n;

/**
 * Hashing is the CPU-heavy part of settling (keccak over every leaf and node), so it runs on
 * worker threads while the main thread reads the next group's rows from Postgres.
 */
export class WorkerMerkleRoots implements MerkleRoots {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (root: string) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private nextWorker = 0;

  constructor(
    threads: number,
    private readonly fallback: InlineMerkleRoots,
  ) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(resolve(__dirname, 'merkle.worker.ts'));
      worker.on('message', (result: MerkleResult) => {
        const job = this.pending.get(result.id);
        if (!job) return;
        this.pending.delete(result.id);
        if ('root' in result) job.resolve(result.root);
        else job.reject(new Error(result.error));
      });
      worker.on('error', (error) => {
        for (const job of this.pending.values()) job.reject(error);
        this.pending.clear();
      });
      worker.unref();
      return worker;
    });
  }

  rootOf(values: readonly MeterValue[], periodId: string, periodLength: PeriodLength): Promise<string> {
    // Values a uint64 column cannot carry go the inline way, which rejects them with a reason.
    if (values.length === 0 || values.some((v) => v.energyWh < 0n || v.energyWh > MAX_UINT64)) return this.fallback.rootOf(values, periodId, periodLength);
    const id = this.nextId++;
    const directions = new Uint8Array(values.length);
    const energies = new BigUint64Array(values.length);
    const ids: string[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      ids[i] = values[i].meterId;
      directions[i] = values[i].direction === 'production' ? 1 : 0;
      energies[i] = values[i].energyWh;
    }
    const job: MerkleJob = { id, meterIds: ids.join('\n'), directions, energies, periodStartSeconds: periodStartSeconds(periodId, periodLength) };
    const worker = this.workers[this.nextWorker++ % this.workers.length];
    return new Promise<string>((resolvePromise, reject) => {
      this.pending.set(id, { resolve: resolvePromise, reject });
      worker.postMessage(job, [directions.buffer, energies.buffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/**
 * Worker threads load TypeScript through the same require hook as the process; without the
 * hook (e.g. inside jest) the roots are computed inline.
 */
export function createMerkleRoots(threads: number, keccak: Keccak256): MerkleRoots {
  const inline = new InlineMerkleRoots(keccak);
  const canLoadTypeScript = process.execArgv.some((arg) => arg.includes('@swc-node/register'));
  return threads > 0 && canLoadTypeScript ? new WorkerMerkleRoots(threads, inline) : inline;
}
