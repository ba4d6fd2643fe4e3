import { parentPort } from 'node:worker_threads';
import { MeterLeaf, MeterMerkleTree, loadKeccak256 } from '@gridledger/domain';
import type { MerkleJob, MerkleResult } from './merkle-roots';

/** Builds one group-period's tree per job and answers with its root. */
parentPort?.on('message', (job: MerkleJob) => {
  void loadKeccak256()
    .then((keccak) => {
      const ids = job.meterIds.split('\n');
      const leaves: MeterLeaf[] = new Array(ids.length);
      for (let i = 0; i < ids.length; i++) {
        leaves[i] = { meterId: ids[i], periodStartSeconds: job.periodStartSeconds, direction: job.directions[i] === 1 ? 1 : 0, energyWh: job.energies[i] };
      }
      const result: MerkleResult = { id: job.id, root: MeterMerkleTree.build(leaves, keccak).root };
      parentPort?.postMessage(result);
    })
    .catch((error: unknown) => parentPort?.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) } satisfies MerkleResult));
});
