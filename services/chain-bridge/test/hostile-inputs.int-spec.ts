import fc from 'fast-check';
import { Client } from 'pg';
import { BalancingPeriodSettled } from '@gridledger/events';
import { durableName, readDeadLetters } from '@gridledger/messaging';
import { hostileEnvelopes, publishHostile, reportHostile, sampleHostile, type HostileTally } from '@gridledger/testing';
import { BridgeHarness } from './bridge.harness';

/**
 * 1,000 generated hostile messages per intake subject of chain-bridge (fast-check, fixed
 * seeds), published as balancing's NATS user (the one user allowed to): each is
 * dead-lettered naming field and reason; the bridge keeps running and writes nothing.
 * chain-bridge has no write endpoint.
 */
const PER_TARGET = Number(process.env.TEST_HOSTILE_COUNT ?? 1000);
const PERIOD = '2026-03-29T01:00:00Z';
const ROOT = `0x${'22'.repeat(32)}`;
const badGroup = fc.constantFrom('', '-BG', 'BG 1', 'BG/1', 'x'.repeat(65), 'ÄBG');
const badPeriod = fc.constantFrom('2026-03-29T01:07:00Z', 'yesterday', '', '2026-03-29T01:00:00+01:00', '2026-03-29');
const badWh = fc.constantFrom('1.5', '', '1e3', '0x10', ' 1', 'NaN', '99999999999999999999', '--1');
const badBytes32 = fc.constantFrom('0x12', `0x${'AB'.repeat(32)}`, '', ROOT.slice(0, 65));
const badCount = fc.oneof(fc.integer({ min: -100, max: -1 }), fc.constant(1.5));
const badVersion = fc.oneof(fc.integer({ min: -100, max: 0 }), fc.constant(2.5));

describe('chain-bridge: 1,000 hostile messages per intake subject', () => {
  const harness = new BridgeHarness();
  const tallies: HostileTally[] = [];
  let pg: Client;

  beforeAll(async () => {
    await harness.setUp();
    await harness.startBridge({ LOG_LEVEL: 'error' });
    pg = new Client({ connectionString: harness.db.url });
    await pg.connect();
  }, 120_000);

  afterAll(async () => {
    for (const result of tallies) reportHostile(result);
    await pg?.end();
    await harness.tearDown();
  });

  async function counts(): Promise<Record<string, number>> {
    const tables = (await pg.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'chain_bridge' AND table_type = 'BASE TABLE' ORDER BY 1`)).rows as { table_name: string }[];
    const result: Record<string, number> = {};
    for (const { table_name: table } of tables) result[table] = Number((await pg.query(`SELECT count(*) AS n FROM chain_bridge."${table}"`)).rows[0].n);
    return result;
  }

  const settled = {
    groupId: 'GRP-ALPHA',
    periodId: PERIOD,
    periodLength: 'PT15M',
    version: 1,
    trigger: 'complete',
    feedInWh: '10',
    feedOutWh: '0',
    scheduleNetWh: '0',
    imbalanceWh: '10',
    imbalancePricePerMWh: null,
    imbalanceAmount: null,
    ledgerDigest: `0x${'11'.repeat(32)}`,
    merkleRoot: ROOT,
    meterCount: 1,
    substitutedCount: 0,
  };
  // balancing.period.closed is consumed by the chain-finalizer since it was split out, not by the committer.
  const targets = [
    {
      name: 'balancing.period.settled.*',
      subject: BalancingPeriodSettled.subject('GRP-ALPHA'),
      durable: durableName('chain-bridge', 'settled'),
      envelope: BalancingPeriodSettled.create({ data: settled as never, idParts: ['hostile-settled'], occurredAt: new Date() }),
      data: {
        valid: settled,
        hostileValues: {
          groupId: badGroup,
          periodId: badPeriod,
          periodLength: fc.constantFrom('PT5M', ''),
          version: badVersion,
          trigger: fc.constantFrom('forced', ''),
          feedInWh: badWh,
          feedOutWh: badWh,
          scheduleNetWh: badWh,
          imbalanceWh: badWh,
          ledgerDigest: badBytes32,
          merkleRoot: badBytes32,
          meterCount: badCount,
          substitutedCount: badCount,
        },
        required: Object.keys(settled).filter((key) => !key.startsWith('imbalanceP') && key !== 'imbalanceAmount'),
      },
    },
  ];

  for (const [index, target] of targets.entries()) {
    it(`${target.name}: hostile messages are dead-lettered naming field and reason`, async () => {
      const before = await counts();
      const payloads = sampleHostile(hostileEnvelopes(target.envelope as never, target.data as never), PER_TARGET, 20261240 + index);
      const result = await publishHostile(
        `chain-bridge consume ${target.name}`,
        {
          publish: (body, msgId) => harness.balancing.js.publish(harness.balancing.subject(target.subject), body, { msgID: msgId }),
          deadLetters: () => readDeadLetters(harness.messaging, { stream: 'BALANCING', consumer: target.durable, limit: 100_000 }),
        },
        payloads,
      );
      tallies.push(result);
      expect(result.failures).toEqual([]);
      expect({ tried: result.tried, refused: result.refused, crashed: result.crashed }).toEqual({ tried: PER_TARGET, refused: PER_TARGET, crashed: 0 });
      expect((await fetch(`${harness.bridge?.url}/health/ready`)).status).toBe(200);
      expect(await counts()).toEqual(before);
    }, 180_000);
  }
});
