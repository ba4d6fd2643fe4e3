import { BridgeHarness, settledPeriod } from './bridge.harness';

jest.setTimeout(180_000);

const PERIODS = ['2026-03-29T01:00:00Z', '2026-03-29T01:15:00Z', '2026-03-29T01:30:00Z'];
const GROUPS = ['GRP-ALPHA', 'GRP-BETA'];

const meters = (seed: number) => [
  { meterId: `M-${seed}-1`, direction: 1 as const, energyWh: BigInt(1_000 + seed) },
  { meterId: `M-${seed}-2`, direction: 0 as const, energyWh: BigInt(400 + seed) },
];

describe('chain-bridge: kill -9 between sending and confirming', () => {
  const harness = new BridgeHarness();

  beforeAll(() => harness.setUp());
  afterAll(() => harness.tearDown());

  async function expectEachVersionOnChainOnce(expected: Record<string, number[]>): Promise<void> {
    for (const [key, versions] of Object.entries(expected)) {
      const [groupId, periodId] = key.split('|');
      const logs = await harness.commitLogs(groupId, periodId);
      expect(logs.map((log) => log.version)).toEqual(versions);
    }
  }

  it('resumes signed-but-unmined transactions after a crash, without a second commit of any version', async () => {
    // Transactions stay in the mempool until the test mines: the bridge dies with them in flight.
    await harness.anvil.rpc('evm_setAutomine', [false]);
    await harness.startBridge();
    for (const periodId of PERIODS) {
      for (const [i, groupId] of GROUPS.entries()) await harness.publishSettled((await settledPeriod({ groupId, periodId, version: 1, meters: meters(i) })).envelope);
    }
    // Every version sent (groups of one period may share a commitPeriodBatch transaction).
    await waitForCount(harness, `SELECT count(*)::int AS n FROM chain_bridge.period_commit WHERE status = 'submitted'`, 6);
    await harness.bridge?.kill();

    // The node loses its mempool too (as after a node restart): only the bridge's raw bytes remain.
    await harness.anvil.rpc('anvil_dropAllTransactions');
    // And a correction arrives while the bridge is down.
    await harness.publishSettled((await settledPeriod({ groupId: 'GRP-ALPHA', periodId: PERIODS[0], version: 2, meters: meters(7) })).envelope);

    await harness.startBridge();
    const deadline = Date.now() + 60_000;
    while (harness.events('chain.period.confirmed').length < 7) {
      if (Date.now() > deadline) throw new Error(`not all confirmed:\n${harness.bridge?.output().slice(-4000)}`);
      await harness.mine(1);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await expectEachVersionOnChainOnce({
      [`GRP-ALPHA|${PERIODS[0]}`]: [1, 2],
      [`GRP-BETA|${PERIODS[0]}`]: [1],
      [`GRP-ALPHA|${PERIODS[1]}`]: [1],
      [`GRP-BETA|${PERIODS[1]}`]: [1],
      [`GRP-ALPHA|${PERIODS[2]}`]: [1],
      [`GRP-BETA|${PERIODS[2]}`]: [1],
    });
    const confirmedKeys = harness.events('chain.period.confirmed').map((e) => {
      const d = e.data as { groupId: string; periodId: string; version: number };
      return `${d.groupId}|${d.periodId}|${d.version}`;
    });
    expect(new Set(confirmedKeys).size).toBe(7);
    expect(confirmedKeys).toHaveLength(7);
    await harness.anvil.rpc('evm_setAutomine', [true]);
  });

  it('after a crash with commits mined but not yet deep enough, confirms them without sending again', async () => {
    const periodId = '2026-03-29T02:00:00Z';
    // One commit, one block: depth 1 of the 2 needed.
    await harness.publishSettled((await settledPeriod({ groupId: 'GRP-ALPHA', periodId, version: 1, meters: meters(20) })).envelope);
    await waitForCount(harness, `SELECT count(*)::int AS n FROM chain_bridge.period_commit WHERE period_id = '${periodId}' AND status = 'included'`, 1);
    const sentBefore = await count(harness, `SELECT count(*)::int AS n FROM chain_bridge.submission`);
    await harness.bridge?.kill();
    await harness.startBridge();
    await harness.mine(2);
    await harness.waitForEvents('chain.period.confirmed', 8);
    expect(await count(harness, `SELECT count(*)::int AS n FROM chain_bridge.submission`)).toBe(sentBefore);
    await expectEachVersionOnChainOnce({ [`GRP-ALPHA|${periodId}`]: [1] });
  });

  it('after a crash that lost its records of sent transactions, finds them on chain instead of sending twice', async () => {
    const periodId = '2026-03-29T02:15:00Z';
    await harness.publishSettled((await settledPeriod({ groupId: 'GRP-ALPHA', periodId, version: 1, meters: meters(30) })).envelope);
    await waitForCount(harness, `SELECT count(*)::int AS n FROM chain_bridge.period_commit WHERE period_id = '${periodId}' AND status = 'included'`, 1);
    await harness.bridge?.kill();
    // Worst case: the bridge's own state says "pending", as if it never sent anything.
    await harness.query(`UPDATE chain_bridge.period_commit SET status = 'pending', tx_hash = NULL, block_number = NULL, block_hash = NULL WHERE period_id = $1`, [periodId]);
    await harness.startBridge();
    await waitForCount(harness, `SELECT count(*)::int AS n FROM chain_bridge.period_commit WHERE period_id = '${periodId}' AND status = 'included'`, 1);
    await harness.mine(2);
    await harness.waitForEvents('chain.period.confirmed', 9);
    await expectEachVersionOnChainOnce({ [`GRP-ALPHA|${periodId}`]: [1] });
    expect(harness.bridge?.output()).toContain('already on chain');
  });
});

async function count(harness: BridgeHarness, sql: string): Promise<number> {
  return (await harness.query<{ n: number }>(sql))[0].n;
}

async function waitForCount(harness: BridgeHarness, sql: string, expected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await count(harness, sql)) < expected) {
    if (Date.now() > deadline) throw new Error(`timed out: ${sql}\n${harness.bridge?.output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
