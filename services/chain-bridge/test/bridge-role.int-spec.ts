import { Wallet } from 'ethers';
import { BalancingPeriodSettled } from '@gridledger/events';
import { BridgeHarness, KEYS, settledPeriod } from './bridge.harness';

jest.setTimeout(120_000);

describe('chain-bridge: refusals', () => {
  const harness = new BridgeHarness();

  beforeAll(async () => {
    await harness.setUp();
    // The bridge runs with a key that holds no BRP or MPO role for any group.
    await harness.startBridge({ CHAIN_COMMITTER_KEY: KEYS.stranger });
  });
  afterAll(() => harness.tearDown());

  it('reports a role violation once (recorded, alarmed, dead-lettered) and does not retry it', async () => {
    const periodId = '2026-03-29T04:00:00Z';
    const settled = await settledPeriod({ groupId: 'GRP-ALPHA', periodId, version: 1, meters: [{ meterId: 'M-1', direction: 1, energyWh: 10n }] });
    await harness.publishSettled(settled.envelope);

    const [rejected] = await harness.waitForEvents('chain.period.rejected', 1);
    const stranger = new Wallet(KEYS.stranger).address;
    expect(rejected.data).toMatchObject({
      groupId: 'GRP-ALPHA',
      periodId,
      version: 1,
      code: 'role-violation',
      contractError: 'CascadeUnauthorizedCommitter',
      reason: expect.stringContaining(stranger),
    });
    const [deadLettered] = await harness.waitForEvents('platform.message.deadlettered', 1);
    const letter = deadLettered.data as { stream: string; reason: string; payloadBase64: string };
    expect(letter.stream).toBe('BALANCING');
    expect(letter.reason).toContain('neither the BRP nor the MPO role');
    expect(JSON.parse(Buffer.from(letter.payloadBase64, 'base64').toString()).id).toBe(settled.envelope.id);

    // Several rounds later: nothing sent, nothing retried, one alarm.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await harness.query(`SELECT status, attempts FROM chain_bridge.period_commit`)).toEqual([{ status: 'rejected', attempts: 0 }]);
    expect(await harness.query(`SELECT count(*)::int AS n FROM chain_bridge.submission`)).toEqual([{ n: 0 }]);
    expect(await harness.query(`SELECT kind, group_id FROM chain_bridge.chain_alarm`)).toEqual([{ kind: 'role-violation', group_id: 'GRP-ALPHA' }]);
    expect(harness.events('chain.period.rejected')).toHaveLength(1);
    expect(await harness.commitLogs('GRP-ALPHA', periodId)).toHaveLength(0);
    expect(harness.bridge?.output()).not.toContain(KEYS.stranger.slice(2));
  });

  it('dead-letters a settled event whose totals do not balance, naming the field', async () => {
    const good = await settledPeriod({ groupId: 'GRP-BETA', periodId: '2026-03-29T04:15:00Z', version: 1, meters: [{ meterId: 'M-2', direction: 1, energyWh: 10n }] });
    const data = (good.envelope as ReturnType<typeof BalancingPeriodSettled.create>).data;
    const unbalanced = BalancingPeriodSettled.create({ idParts: ['unbalanced'], occurredAt: new Date(), data: { ...data, imbalanceWh: '11' } });
    await harness.publishSettled(unbalanced);
    const letters = await harness.waitForEvents('platform.message.deadlettered', 2);
    expect((letters[1].data as { reason: string }).reason).toMatch(/imbalanceWh: 11 but feedInWh − feedOutWh − scheduleNetWh = 10/);
    expect(await harness.query(`SELECT count(*)::int AS n FROM chain_bridge.period_commit WHERE group_id = 'GRP-BETA'`)).toEqual([{ n: 0 }]);
  });
});
