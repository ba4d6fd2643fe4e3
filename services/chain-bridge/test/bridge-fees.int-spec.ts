import { BridgeHarness, settledPeriod } from './bridge.harness';

jest.setTimeout(120_000);

describe('chain-bridge: stuck transactions', () => {
  const harness = new BridgeHarness();

  beforeAll(() => harness.setUp());
  afterAll(() => harness.tearDown());

  it('replaces a stuck commit with bounded fee bumps, and exactly one of them lands', async () => {
    await harness.anvil.rpc('evm_setAutomine', [false]);
    await harness.startBridge({ CHAIN_STUCK_AFTER_MS: '300', CHAIN_MAX_FEE_BUMPS: '2' });
    const periodId = '2026-03-29T05:00:00Z';
    await harness.publishSettled((await settledPeriod({ groupId: 'GRP-ALPHA', periodId, version: 1, meters: [{ meterId: 'M-1', direction: 1, energyWh: 42n }] })).envelope);

    // Nothing mines: after the original and two replacements the budget is spent.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const rows = await harness.query<{ n: number }>(`SELECT count(*)::int AS n FROM chain_bridge.submission`);
      if (rows[0].n >= 3) break;
      if (Date.now() > deadline) throw new Error(`no bumps:\n${harness.bridge?.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const submissions = await harness.query<{ id: string; nonce: string; max_fee_per_gas: string; max_priority_fee_per_gas: string; replaces: string | null }>(
      `SELECT id, nonce, max_fee_per_gas, max_priority_fee_per_gas, replaces FROM chain_bridge.submission ORDER BY id`,
    );
    expect(submissions).toHaveLength(3);
    expect(new Set(submissions.map((s) => s.nonce)).size).toBe(1);
    for (let i = 1; i < submissions.length; i++) {
      expect(submissions[i].replaces).toBe(submissions[i - 1].id);
      expect(BigInt(submissions[i].max_fee_per_gas) * 100n).toBeGreaterThanOrEqual(BigInt(submissions[i - 1].max_fee_per_gas) * 110n);
      expect(BigInt(submissions[i].max_priority_fee_per_gas) * 100n).toBeGreaterThanOrEqual(BigInt(submissions[i - 1].max_priority_fee_per_gas) * 110n);
    }

    await harness.anvil.rpc('evm_setAutomine', [true]);
    await harness.mine(3);
    await harness.waitForEvents('chain.period.confirmed', 1);
    expect(await harness.commitLogs('GRP-ALPHA', periodId)).toHaveLength(1);
    const statuses = await harness.query<{ status: string }>(`SELECT status FROM chain_bridge.submission ORDER BY id`);
    expect(statuses.map((s) => s.status).sort()).toEqual(['mined', 'replaced', 'replaced']);
  });
});
