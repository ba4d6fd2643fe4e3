import { parentPort } from 'node:worker_threads';
import { loadKeccak256 } from '@gridledger/domain';
import { answerJob, type MerkleJob, type MerkleResult } from './merkle-roots';

/** Answers each job with a group-period's hashes (its Merkle root and/or measured-values digest). */
parentPort?.on('message', (job: MerkleJob) => {
  void loadKeccak256()
    .then((keccak) => parentPort?.postMessage(answerJob(job, keccak)))
    .catch((error: unknown) => parentPort?.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) } satisfies MerkleResult));
});
