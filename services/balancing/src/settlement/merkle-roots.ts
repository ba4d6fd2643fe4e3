import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Keccak256 } from '@gridledger/domain';
import { LeafColumns, merkleRootOfLeaves } from '@gridledger/settlement';

/**
 * Computes the Merkle root of a group-period's values (StandardMerkleTree-compatible,
 * `merkleRootOfLeaves`), the leaves salted from `versionKey` (`versionSaltKey`).
 */
export interface MerkleRoots {
  rootOf(leaves: LeafColumns, periodStartSeconds: bigint, versionKey: Uint8Array): Promise<string>;
  close(): Promise<void>;
}

/** On the calling thread: for tests, small deployments, and where workers cannot load. */
export class InlineMerkleRoots implements MerkleRoots {
  constructor(private readonly keccak: Keccak256) {}

  async rootOf(leaves: LeafColumns, periodStartSeconds: bigint, versionKey: Uint8Array): Promise<string> {
    return merkleRootOfLeaves(leaves, periodStartSeconds, versionKey, this.keccak);
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
  readonly versionKey: Uint8Array;
}

export type MerkleResult = { readonly id: number; readonly root: string } | { readonly id: number; readonly error: string };

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

  rootOf(leaves: LeafColumns, periodStartSeconds: bigint, versionKey: Uint8Array): Promise<string> {
    if (leaves.meterIds.length === 0) return this.fallback.rootOf(leaves, periodStartSeconds, versionKey);
    const id = this.nextId++;
    // Copied, not transferred: the columns may be the decider state's own.
    const job: MerkleJob = { id, meterIds: leaves.meterIds.join('\n'), directions: leaves.directions, energies: leaves.energies, periodStartSeconds, versionKey };
    const worker = this.workers[this.nextWorker++ % this.workers.length];
    return new Promise<string>((resolvePromise, reject) => {
      this.pending.set(id, { resolve: resolvePromise, reject });
      worker.postMessage(job);
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
