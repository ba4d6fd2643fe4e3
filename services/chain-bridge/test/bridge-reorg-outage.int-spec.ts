import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnvil } from '@gridledger/testing';
import { periodStartSeconds } from '@gridledger/contracts';
import { BridgeHarness, settledPeriod } from './bridge.harness';
import { rootOfByPlainRpc } from './plain-rpc';

jest.setTimeout(180_000);

const meters = (seed: number) => [
  { meterId: `M-${seed}-1`, direction: 1 as const, energyWh: BigInt(2_000 + seed) },
  { meterId: `M-${seed}-2`, direction: 0 as const, energyWh: BigInt(500 + seed) },
];

describe('chain-bridge: reorgs and chain outages', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'bridge-anvil-'));
  const harness = new BridgeHarness();

  beforeAll(async () => {
    await harness.setUp({ anvilStatePath: join(stateDir, 'state.json') });
    await harness.startBridge();
  });
  afterAll(async () => {
    await harness.tearDown();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('notices a commit dropped by a reorg and commits it again', async () => {
    const periodId = '2026-03-29T03:00:00Z';
    const snapshot = await harness.anvil.rpc<string>('evm_snapshot');
    const settled = await settledPeriod({ groupId: 'GRP-ALPHA', periodId, version: 1, meters: meters(1) });
    await harness.publishSettled(settled.envelope);
    const [committed] = await harness.waitForEvents('chain.period.committed', 1);
    const first = committed.data as { blockNumber: number; blockHash: string; txHash: string };
    expect(await harness.commitLogs('GRP-ALPHA', periodId)).toHaveLength(1);

    // Drop the block that holds the commit, then let the chain grow past it.
    await harness.anvil.rpc('evm_revert', [snapshot]);
    expect(await harness.commitLogs('GRP-ALPHA', periodId)).toHaveLength(0);
    await harness.mine(1);

    const recommitted = await harness.waitForEvents('chain.period.committed', 2);
    const second = recommitted[1].data as { blockNumber: number; blockHash: string };
    expect(second.blockHash).not.toBe(first.blockHash);
    await harness.mine(2);
    const [confirmed] = await harness.waitForEvents('chain.period.confirmed', 1);
    expect(confirmed.data).toMatchObject({ groupId: 'GRP-ALPHA', periodId, version: 1, blockHash: second.blockHash });
    expect(await harness.commitLogs('GRP-ALPHA', periodId)).toHaveLength(1);
    expect(await rootOfByPlainRpc(harness.anvil.url, harness.cascadeAddress, 'GRP-ALPHA', periodStartSeconds(periodId), 1)).toBe(settled.tree.root);
    expect(harness.bridge?.output()).toMatch(/reorg: GRP-ALPHA 2026-03-29T03:00:00Z v1 left block/);
  });

  it('waits with backoff while the chain is down, and catches up when it is back', async () => {
    const periodId = '2026-03-29T03:15:00Z';
    const port = harness.anvil.port;
    await harness.anvil.stop();
    const outputBefore = harness.bridge?.output().length ?? 0;

    const settled = await Promise.all(['GRP-ALPHA', 'GRP-BETA'].map((groupId, i) => settledPeriod({ groupId, periodId, version: 1, meters: meters(10 + i) })));
    for (const period of settled) await harness.publishSettled(period.envelope);
    await new Promise((resolve) => setTimeout(resolve, 4_000));

    const during = harness.bridge?.output().slice(outputBefore) ?? '';
    const delays = [...during.matchAll(/chain unreachable .*?retry (\d+) in (\d+) ms/g)].map((m) => Number(m[2]));
    expect(delays.length).toBeGreaterThanOrEqual(3);
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(800);
    const rows = await harness.query<{ status: string }>(`SELECT status FROM chain_bridge.period_commit WHERE period_id = $1`, [periodId]);
    expect(rows.map((r) => r.status)).toEqual(['pending', 'pending']);

    // The same node comes back on the same port with its state.
    harness.anvil = await startAnvil({ port, statePath: join(stateDir, 'state.json') });
    await harness.waitForEvents('chain.period.committed', 4);
    await harness.mine(2);
    await harness.waitForEvents('chain.period.confirmed', 3);
    for (const period of settled) {
      const groupId = (period.envelope.data as { groupId: string }).groupId;
      expect(await harness.commitLogs(groupId, periodId)).toHaveLength(1);
      expect(await rootOfByPlainRpc(harness.anvil.url, harness.cascadeAddress, groupId, periodStartSeconds(periodId), 1)).toBe(period.tree.root);
    }
    expect(harness.bridge?.output()).toContain('chain answers again');
  });
});
