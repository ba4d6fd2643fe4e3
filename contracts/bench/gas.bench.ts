/**
 * Gas of the cascade against a real anvil: a commit for a group of 10 meters and one of
 * 1,000,000 meters (only the root differs, so the gas must be equal), a batched commit of 50
 * groups (gas per group) and a finalization.
 * Prints figures and progress; the last line is one JSON object.
 */
import { Contract, ContractTransactionResponse, JsonRpcProvider, NonceManager, Wallet, getBytes, id } from 'ethers';
import { MeterLeaf, MeterMerkleTree, loadKeccak256 } from '@gridledger/domain';
import { anvilDevKey, startAnvil } from '@gridledger/testing';
import { deployCascade, groupKey } from '../src';

/** The gas of a commit does not depend on the leaves; one salt for all keeps the tree quick. */
const SALT = new Uint8Array(32).fill(0x5a);

async function buildGroup(meters: number, period: bigint): Promise<{ root: string; totals: [bigint, bigint, bigint, bigint] }> {
  const started = Date.now();
  const leaves: MeterLeaf[] = new Array(meters);
  let feedIn = 0n;
  let feedOut = 0n;
  for (let i = 0; i < meters; i++) {
    const direction = i % 4 === 0 ? 1 : 0;
    const energyWh = BigInt(100 + (i % 997));
    if (direction === 1) feedIn += energyWh;
    else feedOut += energyWh;
    leaves[i] = { meterId: `DE-MELO-${i.toString().padStart(8, '0')}`, periodStartSeconds: period, direction, energyWh, salt: SALT };
  }
  const tree = MeterMerkleTree.build(leaves, await loadKeccak256());
  console.log(`tree of ${meters.toLocaleString('en')} meters: root ${tree.root} in ${Date.now() - started} ms`);
  return { root: tree.root, totals: [feedIn, feedOut, 0n, feedIn - feedOut] };
}

interface Gas {
  readonly used: bigint;
  /** gasUsed minus the intrinsic part (21,000 + calldata bytes at 4 zero / 16 non-zero). */
  readonly execution: bigint;
}

async function gasOf(sent: Promise<ContractTransactionResponse>): Promise<Gas> {
  const response = await sent;
  const receipt = await response.wait();
  if (!receipt) throw new Error('transaction dropped');
  const data = getBytes(response.data);
  const calldata = data.reduce((sum, byte) => sum + (byte === 0 ? 4n : 16n), 0n);
  return { used: receipt.gasUsed, execution: receipt.gasUsed - 21_000n - calldata };
}

type GroupTotals = [bigint, bigint, bigint, bigint];

async function main(): Promise<void> {
  const anvil = await startAnvil();
  const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 });
  try {
    const operator = new NonceManager(new Wallet(anvilDevKey(0), provider));
    const brpSmall = new Wallet(anvilDevKey(1), provider);
    const brpLarge = new Wallet(anvilDevKey(2), provider);
    const tso = new Wallet(anvilDevKey(3), provider);
    // Commits are accepted for ended periods inside the correction window: periods of an hour ago.
    const now = BigInt((await provider.getBlock('latest'))?.timestamp ?? 0);
    const period = now - (now % 900n) - 3600n;
    const { cascade } = await deployCascade(operator, {
      groups: ['GRP-SMALL', 'GRP-LARGE'],
      grants: [
        { role: 'BRP', groupId: 'GRP-SMALL', account: brpSmall.address },
        { role: 'BRP', groupId: 'GRP-LARGE', account: brpLarge.address },
        { role: 'TSO', account: tso.address },
      ],
    });
    console.log(`deployed on anvil ${anvil.url}`);

    const small = await buildGroup(10, period);
    const large = await buildGroup(1_000_000, period);
    const inputsDigest = id('bench inputs');
    const commit = (signer: Wallet, groupId: string, at: bigint, group: { root: string; totals: GroupTotals }, meters: number) =>
      gasOf((cascade.connect(signer) as Contract).getFunction('commitPeriod')(groupKey(groupId), at, 1, group.totals, group.root, meters, inputsDigest));

    // Each measured commit is the first of its period, so both pay the same fresh storage writes
    // (the group-period slot, the version's root, the period's sums): the dearest commit there is.
    const commit10 = await commit(brpSmall, 'GRP-SMALL', period, small, 10);
    console.log(`commit, 10 meters:        ${commit10.used} gas (execution ${commit10.execution})`);
    const commit1M = await commit(brpLarge, 'GRP-LARGE', period + 900n, large, 1_000_000);
    console.log(`commit, 1,000,000 meters: ${commit1M.used} gas (execution ${commit1M.execution})`);
    console.log(
      commit10.execution === commit1M.execution
        ? 'execution gas is identical; any difference in gasUsed is calldata bytes of the root and meter count (4 gas per zero byte, 16 per non-zero)'
        : 'WARNING: commit execution gas differs between 10 and 1,000,000 meters',
    );

    // Finalize a third period that both groups committed.
    const third = period + 1800n;
    await commit(brpSmall, 'GRP-SMALL', third, small, 10);
    await commit(brpLarge, 'GRP-LARGE', third, large, 1_000_000);
    const market = [0, 1, 2, 3].map((i) => small.totals[i] + large.totals[i]);
    const finalize = await gasOf((cascade.connect(tso) as Contract).getFunction('finalizePeriod')(third, market));
    console.log(`finalize, 2 groups:       ${finalize.used} gas (execution ${finalize.execution}; O(1) in groups: sums are kept on commit)`);

    // 50 groups of one BRP committed in one batched transaction, then finalized: the sums are
    // kept on commit, so finalization costs the same as for two groups.
    const manyGroups = Array.from({ length: 50 }, (_, i) => `GRP-${String(i).padStart(2, '0')}`);
    const many = await deployCascade(operator, {
      groups: manyGroups,
      grants: [...manyGroups.map((groupId) => ({ role: 'BRP' as const, groupId, account: brpSmall.address })), { role: 'TSO' as const, account: tso.address }],
    });
    const batch = manyGroups.map((groupId) => [groupKey(groupId), 1, small.totals, small.root, 10, inputsDigest]);
    const batch50 = await gasOf((many.cascade.connect(brpSmall) as Contract).getFunction('commitPeriodBatch')(third, batch));
    const batchPerGroup = batch50.used / 50n;
    console.log(`batched commit, 50 groups: ${batch50.used} gas, ${batchPerGroup} per group`);
    const market50 = small.totals.map((value) => value * 50n);
    const finalize50 = await gasOf((many.cascade.connect(tso) as Contract).getFunction('finalizePeriod')(third, market50));
    console.log(`finalize, 50 groups:      ${finalize50.used} gas (execution ${finalize50.execution})`);

    console.log(
      JSON.stringify({
        commitGas10: Number(commit10.used),
        commitGas1M: Number(commit1M.used),
        batchCommitGasPerGroup50: Number(batchPerGroup),
        finalizeGas: Number(finalize.used),
        commitExecutionGas10: Number(commit10.execution),
        commitExecutionGas1M: Number(commit1M.execution),
        finalizeGas50Groups: Number(finalize50.used),
      }),
    );
  } finally {
    provider.destroy();
    await anvil.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
