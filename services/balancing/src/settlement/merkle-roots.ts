import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Keccak256, ValuesDigest } from '@gridledger/domain';
import { LeafColumns, MeterRows, measuredValuesDigest, merkleRootOfLeaves } from '@gridledger/settlement';

/**
 * The hashing a settlement does over all of a group-period's values: the Merkle root
 * (StandardMerkleTree-compatible, `merkleRootOfLeaves`, the leaves salted from `versionKey`,
 * `versionSaltKey`) and the digest of the measured values that is compared with meter-ingest's
 * manifest (`measuredValuesDigest`).
 */
export interface MerkleRoots {
  rootOf(leaves: LeafColumns, periodStartSeconds: bigint, versionKey: Uint8Array): Promise<string>;
  measuredDigestOf(rows: MeterRows): Promise<ValuesDigest>;
  close(): Promise<void>;
}

/** On the calling thread: for tests, small deployments, and where workers cannot load. */
export class InlineMerkleRoots implements MerkleRoots {
  constructor(private readonly keccak: Keccak256) {}

  async rootOf(leaves: LeafColumns, periodStartSeconds: bigint, versionKey: Uint8Array): Promise<string> {
    return merkleRootOfLeaves(leaves, periodStartSeconds, versionKey, this.keccak);
  }

  async measuredDigestOf(rows: MeterRows): Promise<ValuesDigest> {
    return measuredValuesDigest(rows);
  }

  async close(): Promise<void> {}
}

/** What crosses to a worker: columns, not objects, so the copy is cheap. Meter ids are joined by "\n" (ids cannot contain one). */
export type MerkleJob =
  | {
      readonly kind: 'root';
      readonly id: number;
      readonly meterIds: string;
      /** 1 production, 0 consumption. */
      readonly directions: Uint8Array;
      readonly energies: BigUint64Array;
      readonly periodStartSeconds: bigint;
      readonly versionKey: Uint8Array;
    }
  | {
      readonly kind: 'measured-digest';
      readonly id: number;
      readonly meterIds: string;
      readonly directions: Uint8Array;
      readonly expected: Uint8Array;
      readonly kinds: Uint8Array;
      readonly energies: BigUint64Array;
    };

export type MerkleResult =
  | { readonly id: number; readonly root: string }
  | { readonly id: number; readonly digest: ValuesDigest }
  | { readonly id: number; readonly error: string };

type Answer = { readonly root: string } | { readonly digest: ValuesDigest };

/**
 * Hashing is the CPU-heavy part of settling (keccak over every leaf and node, SHA-256 over
 * every value line), so it runs on worker threads while the main thread reads the next
 * group's rows from Postgres.
 */
export class WorkerMerkleRoots implements MerkleRoots {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (answer: Answer) => void; reject: (error: Error) => void }>();
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
        if ('error' in result) job.reject(new Error(result.error));
        else job.resolve(result);
      });
      worker.on('error', (error) => {
        for (const job of this.pending.values()) job.reject(error);
        this.pending.clear();
      });
      worker.unref();
      return worker;
    });
  }

  async rootOf(leaves: LeafColumns, periodStartSeconds: bigint, versionKey: Uint8Array): Promise<string> {
    if (leaves.meterIds.length === 0) return this.fallback.rootOf(leaves, periodStartSeconds, versionKey);
    // Copied, not transferred: the columns may be the decider state's own.
    const answer = await this.run({ kind: 'root', id: this.nextId++, meterIds: leaves.meterIds.join('\n'), directions: leaves.directions, energies: leaves.energies, periodStartSeconds, versionKey });
    if (!('root' in answer)) throw new Error('a Merkle worker answered a root job without a root');
    return answer.root;
  }

  async measuredDigestOf(rows: MeterRows): Promise<ValuesDigest> {
    if (rows.meterIds.length === 0) return this.fallback.measuredDigestOf(rows);
    const answer = await this.run({ kind: 'measured-digest', id: this.nextId++, meterIds: rows.meterIds.join('\n'), directions: rows.directions, expected: rows.expected, kinds: rows.kinds, energies: rows.energies });
    if (!('digest' in answer)) throw new Error('a Merkle worker answered a digest job without a digest');
    return answer.digest;
  }

  private run(job: MerkleJob): Promise<Answer> {
    const worker = this.workers[this.nextWorker++ % this.workers.length];
    return new Promise<Answer>((resolvePromise, reject) => {
      this.pending.set(job.id, { resolve: resolvePromise, reject });
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
