import { parentPort } from 'node:worker_threads';
import { loadKeccak256 } from '@gridledger/domain';
import { measuredValuesDigest, merkleRootOfLeaves } from '@gridledger/settlement';
import type { MerkleJob, MerkleResult } from './merkle-roots';

/** Answers each job with the same functions the settlement uses inline: a group-period's Merkle root, or the digest of its measured values. */
parentPort?.on('message', (job: MerkleJob) => {
  void loadKeccak256()
    .then((keccak): MerkleResult => {
      const meterIds = job.meterIds.split('\n');
      if (job.kind === 'measured-digest') return { id: job.id, digest: measuredValuesDigest({ meterIds, directions: job.directions, expected: job.expected, kinds: job.kinds, energies: job.energies }) };
      return { id: job.id, root: merkleRootOfLeaves({ meterIds, directions: job.directions, energies: job.energies }, job.periodStartSeconds, job.versionKey, keccak) };
    })
    .then((result) => parentPort?.postMessage(result))
    .catch((error: unknown) => parentPort?.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) } satisfies MerkleResult));
});
