import { periodStartSeconds } from '@gridledger/contracts';
import { waitFor } from '@gridledger/testing';
import { BridgeHarness, settledPeriod } from './bridge.harness';
import { rootOfByPlainRpc } from './plain-rpc';

jest.setTimeout(180_000);

const BATCHED = '2026-03-29T03:00:00Z';
const WITH_BAD_GROUP = '2026-03-29T04:00:00Z';
const GROUPS = ['GRP-ALPHA', 'GRP-BETA', 'GRP-GAMMA'];

interface CommitsView {
  groupId: string;
  periodId: string;
  versions: { version: number; status: string; merkleRoot: string; txHash: string | null }[];
}

const settle = (groupId: string, periodId: string, energyWh: bigint) =>
  settledPeriod({
    groupId,
    periodId,
    version: 1,
    meters: [
      { meterId: `${groupId}-M1`, direction: 1, energyWh },
      { meterId: `${groupId}-M2`, direction: 0, energyWh: energyWh / 2n },
    ],
  });

describe('chain-bridge: groups of the same period ready together go in one transaction', () => {
  const harness = new BridgeHarness();

  beforeAll(() => harness.setUp({ groups: GROUPS }));
  afterAll(() => harness.tearDown());

  it('commits several groups of one period in ONE commitPeriodBatch transaction; a batch the contract refuses falls back to single commits', async () => {
    const batched = await Promise.all(GROUPS.map((groupId, i) => settle(groupId, BATCHED, BigInt(1_000 * (i + 1)))));
    // GRP-UNKNOWN is not registered: the batch of its period would revert, so each goes alone.
    const mixed = await Promise.all(['GRP-ALPHA', 'GRP-UNKNOWN', 'GRP-BETA'].map((groupId) => settle(groupId, WITH_BAD_GROUP, 4_000n)));
    // All ready before the bridge starts: its first round finds them together.
    for (const period of [...batched, ...mixed]) await harness.publishSettled(period.envelope);
    await harness.startBridge({ CHAIN_COMMIT_BATCH_MAX: '50' });

    await harness.waitForEvents('chain.period.committed', 5, 60_000);
    await harness.mine(2);
    await waitFor(
      async () => {
        const rows = await harness.query<{ status: string }>(`SELECT status FROM chain_bridge.period_commit WHERE group_id <> 'GRP-UNKNOWN'`);
        return rows.length === 5 && rows.every((row) => row.status === 'confirmed') ? rows : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'five confirmed commits' },
    );

    // One transaction carries the three groups of BATCHED: one tx hash in every log and row.
    const logs = await Promise.all(GROUPS.map((groupId) => harness.commitLogs(groupId, BATCHED)));
    expect(logs.map((l) => l.length)).toEqual([1, 1, 1]);
    const txHashes = new Set(logs.map(([log]) => log.txHash));
    expect(txHashes.size).toBe(1);
    const [txHash] = [...txHashes];
    const tx = await harness.anvil.rpc<{ input: string }>('eth_getTransactionByHash', [txHash]);
    const { cascadeInterface } = await import('../src/chain/cascade.client');
    expect(cascadeInterface.parseTransaction({ data: tx.input })?.name).toBe('commitPeriodBatch');

    for (const [i, groupId] of GROUPS.entries()) {
      // Each group's root is on chain (bare eth_call) …
      expect(await rootOfByPlainRpc(harness.anvil.url, harness.cascadeAddress, groupId, periodStartSeconds(BATCHED), 1)).toBe(batched[i].tree.root);
      // … and the status API shows each, confirmed, with the shared transaction.
      const response = await fetch(`${harness.bridge?.url}/commits/${groupId}/${BATCHED}`);
      expect(response.status).toBe(200);
      const view = (await response.json()) as CommitsView;
      expect(view.versions).toEqual([expect.objectContaining({ version: 1, status: 'confirmed', merkleRoot: batched[i].tree.root, txHash })]);
    }

    // The period with a group the contract refuses: the good groups are committed alone, the bad one rejected.
    const alpha = await harness.commitLogs('GRP-ALPHA', WITH_BAD_GROUP);
    const beta = await harness.commitLogs('GRP-BETA', WITH_BAD_GROUP);
    expect(alpha).toHaveLength(1);
    expect(beta).toHaveLength(1);
    expect(alpha[0].txHash).not.toBe(beta[0].txHash);
    const single = await harness.anvil.rpc<{ input: string }>('eth_getTransactionByHash', [alpha[0].txHash]);
    expect(cascadeInterface.parseTransaction({ data: single.input })?.name).toBe('commitPeriod');
    const [unknown] = await harness.query<{ status: string }>(`SELECT status FROM chain_bridge.period_commit WHERE group_id = 'GRP-UNKNOWN'`);
    expect(unknown).toMatchObject({ status: 'rejected' });
  });
});
