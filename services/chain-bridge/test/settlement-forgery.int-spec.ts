import { BalancingPeriodSettled, type EventEnvelope } from '@gridledger/events';
import { periodStartSeconds } from '@gridledger/contracts';
import { connectTestMessaging } from '@gridledger/testing';
import type { MessagingClient } from '@gridledger/messaging';
import { BridgeHarness, settledPeriod } from './bridge.harness';
import { rootOfByPlainRpc } from './plain-rpc';

jest.setTimeout(120_000);

const PERIOD = '2026-03-29T06:00:00Z';

/**
 * Settled events cannot be forged: balancing.> is publishable only by balancing's NATS user
 * (and the operator, who re-drives dead letters), so chain-bridge anchors only what balancing
 * settled. docs/nats-security.md.
 */
describe('chain-bridge anchors only settlements published by balancing', () => {
  const harness = new BridgeHarness();
  const intruders: MessagingClient[] = [];

  beforeAll(async () => {
    await harness.setUp();
    await harness.startBridge();
  });
  afterAll(async () => {
    for (const intruder of intruders) await intruder.close();
    await harness.tearDown();
  });

  it('refuses a forged settled event from another service’s user and anchors the real one with its root', async () => {
    const real = await settledPeriod({ groupId: 'GRP-ALPHA', periodId: PERIOD, version: 1, meters: [{ meterId: 'DE-A-1', direction: 1, energyWh: 4_000n }] });
    const fake = await settledPeriod({ groupId: 'GRP-ALPHA', periodId: PERIOD, version: 1, meters: [{ meterId: 'DE-A-1', direction: 1, energyWh: 999_000n }] });
    // The forgery carries the real event's id (ids are predictable) and is sent first.
    const forged = { ...fake.envelope, id: real.envelope.id } as ReturnType<typeof BalancingPeriodSettled.create>;
    for (const user of ['meter-ingest', 'capacity-market', 'chain-bridge'] as const) {
      const intruder = await connectTestMessaging({ namespace: harness.ns, name: `${user}-intruder`, user });
      intruders.push(intruder);
      await expect(intruder.publishEvent(BalancingPeriodSettled, forged, 'GRP-ALPHA')).rejects.toThrow(/permission|timeout|503/i);
    }
    expect((await harness.messaging.jsm.streams.info(harness.messaging.streamName('BALANCING'))).state.messages).toBe(0);

    await harness.publishSettled(real.envelope);
    const [committed] = await harness.waitForEvents('chain.period.committed', 1);
    expect(committed.data).toMatchObject({ groupId: 'GRP-ALPHA', periodId: PERIOD, version: 1, merkleRoot: real.tree.root });
    await harness.mine(2);
    await harness.waitForEvents('chain.period.confirmed', 1);
    expect(await rootOfByPlainRpc(harness.anvil.url, harness.cascadeAddress, 'GRP-ALPHA', periodStartSeconds(PERIOD), 1)).toBe(real.tree.root);
    expect(harness.events('chain.period.committed').map((e: EventEnvelope) => (e.data as { merkleRoot: string }).merkleRoot)).toEqual([real.tree.root]);
  });
});
