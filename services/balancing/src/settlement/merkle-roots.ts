import { Worker } from 'node:worker_threads';
import { Keccak256, ValuesDigest } from '@gridledger/domain';
import { MeterRows, leafColumnsOf, measuredValuesDigest, merkleRootOfLeaves } from '@gridledger/settlement';
import { workerEntry } from '@gridledger/service-kit';

/** Which hashes a settlement wants of a group-period's rows. */
export interface HashRequest {
  /** The Merkle root of the rows with a value (StandardMerkleTree-compatible, `merkleRootOfLeaves`), salted from `versionKey` (`versionSaltKey`). */
  readonly root?: { readonly periodStartSeconds: bigint; readonly versionKey: Uint8Array };
  /** The digest of the measured values, compared with meter-ingest's manifest (`measuredValuesDigest`). */
  readonly measured?: boolean;
}

export interface Hashes {
  readonly root?: string;
  readonly measured?: ValuesDigest;
}

/** The hashing a settlement does over all of a group-period's values, with the same functions the decider uses. */
export interface MerkleRoots {
  hashesOf(rows: MeterRows, request: HashRequest): Promise<Hashes>;
  close(): Promise<void>;
}

function hashRows(rows: MeterRows, request: HashRequest, keccak: Keccak256): Hashes {
  return {
    ...(request.root ? { root: merkleRootOfLeaves(leafColumnsOf(rows), request.root.periodStartSeconds, request.root.versionKey, keccak) } : {}),
    ...(request.measured ? { measured: measuredValuesDigest(rows) } : {}),
  };
}

/** On the calling thread: for tests, small deployments, and where workers cannot load. */
export class InlineMerkleRoots implements MerkleRoots {
  constructor(private readonly keccak: Keccak256) {}

  async hashesOf(rows: MeterRows, request: HashRequest): Promise<Hashes> {
    return hashRows(rows, request, this.keccak);
  }

  async close(): Promise<void> {}
}

/**
 * What crosses to a worker: the rows as columns, not objects, so the copy is cheap. The meter
 * ids go as the array itself: cloning it costs the main thread less than joining it into one
 * string (about 10 ms for 20,000 ids), and the worker no longer splits it.
 */
export interface MerkleJob {
  readonly id: number;
  readonly meterIds: readonly string[];
  readonly directions: Uint8Array;
  readonly expected: Uint8Array;
  readonly kinds: Uint8Array;
  readonly energies: BigUint64Array;
  readonly request: HashRequest;
}

export type MerkleResult = { readonly id: number; readonly hashes: Hashes } | { readonly id: number; readonly error: string };

/** The worker's side of a job: the rows back from columns, then the same hashing as inline. */
export function answerJob(job: MerkleJob, keccak: Keccak256): MerkleResult {
  const rows: MeterRows = { meterIds: job.meterIds, directions: job.directions, expected: job.expected, kinds: job.kinds, energies: job.energies };
  return { id: job.id, hashes: hashRows(rows, job.request, keccak) };
}

/**
 * Hashing is the CPU-heavy part of settling (keccak over every leaf and node, SHA-256 over
 * every value line), so it runs on worker threads, one job per group-period, while the main
 * thread reads the next group's rows from Postgres.
 */
export class WorkerMerkleRoots implements MerkleRoots {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, { resolve: (hashes: Hashes) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private nextWorker = 0;

  constructor(
    threads: number,
    private readonly fallback: InlineMerkleRoots,
    entry: string,
  ) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(entry);
      worker.on('message', (result: MerkleResult) => {
        const job = this.pending.get(result.id);
        if (!job) return;
        this.pending.delete(result.id);
        if ('error' in result) job.reject(new Error(result.error));
        else job.resolve(result.hashes);
      });
      worker.on('error', (error) => {
        for (const job of this.pending.values()) job.reject(error);
        this.pending.clear();
      });
      worker.unref();
      return worker;
    });
  }

  hashesOf(rows: MeterRows, request: HashRequest): Promise<Hashes> {
    if (rows.meterIds.length === 0 || (!request.root && !request.measured)) return this.fallback.hashesOf(rows, request);
    const id = this.nextId++;
    // Copied, not transferred: the columns are the decider state's own.
    const job: MerkleJob = { id, meterIds: rows.meterIds, directions: rows.directions, expected: rows.expected, kinds: rows.kinds, energies: rows.energies, request };
    const worker = this.workers[this.nextWorker++ % this.workers.length];
    return new Promise<Hashes>((resolvePromise, reject) => {
      this.pending.set(id, { resolve: resolvePromise, reject });
      worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}

/**
 * On worker threads where they can load (the compiled image, or TypeScript through the same
 * require hook as the process); elsewhere (e.g. inside jest) the roots are computed inline.
 */
export function createMerkleRoots(threads: number, keccak: Keccak256): MerkleRoots {
  const inline = new InlineMerkleRoots(keccak);
  const entry = workerEntry(__filename, 'merkle.worker');
  return threads > 0 && entry !== null ? new WorkerMerkleRoots(threads, inline, entry) : inline;
}
