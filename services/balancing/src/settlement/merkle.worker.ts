import { parentPort } from 'node:worker_threads';
import { loadKeccak256 } from '@gridledger/domain';
import { merkleRootOfLeaves } from '@gridledger/settlement';
import type { MerkleJob, MerkleResult } from './merkle-roots';

/** Builds one group-period's tree per job (the same `merkleRootOfLeaves` the decider uses) and answers with its root. */
parentPort?.on('message', (job: MerkleJob) => {
  void loadKeccak256()
    .then((keccak) => {
      const leaves = { meterIds: job.meterIds.split('\n'), directions: job.directions, energies: job.energies };
      const result: MerkleResult = { id: job.id, root: merkleRootOfLeaves(leaves, job.periodStartSeconds, job.versionKey, keccak) };
      parentPort?.postMessage(result);
    })
    .catch((error: unknown) => parentPort?.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) } satisfies MerkleResult));
});
