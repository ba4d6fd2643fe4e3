import fc from 'fast-check';
import { Client } from 'pg';
import { BalancingPeriodClosed } from '@gridledger/events';
import { durableName, readDeadLetters } from '@gridledger/messaging';
import { expectProblem, hostileEnvelopes, publishHostile, reportHostile, sampleHostile, type HostileTally } from '@gridledger/testing';
import { BridgeHarness } from './bridge.harness';

/**
 * 1,000 generated hostile messages on the chain-finalizer's one intake subject,
 * balancing.period.closed (fast-check, fixed seed), published as balancing's NATS user (the
 * one user allowed to): each is dead-lettered naming field and reason; the finalizer keeps
 * running, writes nothing, and finalizes nothing (its API and the chain say so).
 */
const PER_TARGET = Number(process.env.TEST_HOSTILE_COUNT ?? 1000);
const PERIOD = '2026-03-29T01:00:00Z';
const ROOT = `0x${'22'.repeat(32)}`;
const badPeriod = fc.constantFrom('2026-03-29T01:07:00Z', 'yesterday', '', '2026-03-29T01:00:00+01:00', '2026-03-29');
const badWh = fc.constantFrom('1.5', '', '1e3', '0x10', ' 1', 'NaN', '99999999999999999999', '--1');
const badRevision = fc.oneof(fc.integer({ min: -100, max: 0 }), fc.constant(2.5));

const group = { groupId: 'GRP-ALPHA', version: 1, feedInWh: '10', feedOutWh: '0', scheduleNetWh: '0', imbalanceWh: '10', merkleRoot: ROOT };
const totals = { feedInWh: '10', feedOutWh: '0', scheduleNetWh: '0', imbalanceWh: '10' };
const closed = { periodId: PERIOD, periodLength: 'PT15M', revision: 1, groups: [group], totals };

/** Group lists the schema must refuse: empty, or one group with a hostile, missing or unknown field. */
const badGroups = fc.oneof(
  fc.constant([]),
  fc
    .constantFrom<[string, unknown]>(
      ['groupId', ''],
      ['groupId', 'BG/1'],
      ['groupId', 'x'.repeat(65)],
      ['version', 0],
      ['version', 1.5],
      ['feedInWh', '1.5'],
      ['imbalanceWh', '1e3'],
      ['merkleRoot', '0x12'],
      ['merkleRoot', `0x${'AB'.repeat(32)}`],
      ['extra', true],
    )
    .map(([field, value]) => [{ ...group, [field]: value }]),
  fc.constantFrom('groupId', 'version', 'merkleRoot', 'feedOutWh').map((field) => [Object.fromEntries(Object.entries(group).filter(([key]) => key !== field))]),
);
const badTotals = fc.oneof(
  fc.constantFrom('feedInWh', 'feedOutWh', 'scheduleNetWh', 'imbalanceWh').chain((field) => badWh.map((value) => ({ ...totals, [field]: value }))),
  fc.constant({ ...totals, extra: '1' }),
  fc.constant({}),
);

describe('chain-finalizer: 1,000 hostile messages on balancing.period.closed', () => {
  const harness = new BridgeHarness();
  const tallies: HostileTally[] = [];
  let pg: Client;

  beforeAll(async () => {
    await harness.setUp();
    await harness.startFinalizer({ LOG_LEVEL: 'error' });
    pg = new Client({ connectionString: harness.db.url });
    await pg.connect();
  }, 150_000);

  afterAll(async () => {
    for (const result of tallies) reportHostile(result);
    await pg?.end();
    await harness.tearDown();
  });

  async function counts(): Promise<Record<string, number>> {
    const tables = (await pg.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'chain_finalizer' AND table_type = 'BASE TABLE' ORDER BY 1`)).rows as { table_name: string }[];
    const result: Record<string, number> = {};
    for (const { table_name: table } of tables) result[table] = Number((await pg.query(`SELECT count(*) AS n FROM chain_finalizer."${table}"`)).rows[0].n);
    return result;
  }

  it('balancing.period.closed: hostile messages are dead-lettered naming field and reason, nothing is finalized', async () => {
    const before = await counts();
    const envelope = BalancingPeriodClosed.create({ data: closed as never, idParts: ['hostile-closed'], occurredAt: new Date() });
    const spec = {
      valid: closed,
      hostileValues: { periodId: badPeriod, periodLength: fc.constantFrom('PT5M', '', 'PT15m'), revision: badRevision, groups: badGroups, totals: badTotals },
      required: Object.keys(closed),
    };
    const payloads = sampleHostile(hostileEnvelopes(envelope as never, spec), PER_TARGET, 20261301);
    const result = await publishHostile(
      'chain-finalizer consume balancing.period.closed',
      {
        publish: (body, msgId) => harness.balancing.js.publish(harness.balancing.subject(BalancingPeriodClosed.subject()), body, { msgID: msgId }),
        deadLetters: () => readDeadLetters(harness.messaging, { stream: 'BALANCING', consumer: durableName('chain-finalizer', 'closed'), limit: 100_000 }),
      },
      payloads,
    );
    tallies.push(result);
    expect(result.failures).toEqual([]);
    expect({ tried: result.tried, refused: result.refused, crashed: result.crashed }).toEqual({ tried: PER_TARGET, refused: PER_TARGET, crashed: 0 });
    expect((await fetch(`${harness.finalizer?.url}/health/ready`)).status).toBe(200);
    // Read back: no row written, the period unknown to the finalizer, nothing finalized on chain.
    expect(await counts()).toEqual(before);
    await expectProblem(await fetch(`${harness.finalizer?.url}/finalizations/${PERIOD}`), { status: 404, code: 'NO_FINALIZATION', field: 'periodId' });
    expect(harness.events('chain.period.finalized')).toEqual([]);
  }, 240_000);
});
