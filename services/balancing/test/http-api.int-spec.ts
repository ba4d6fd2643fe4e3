import { Client } from 'pg';
import { formatInstant, periodIdOf, periodStartOf } from '@gridledger/domain';
import type { RunningService } from '@gridledger/service-kit';
import { createTestDatabase, deleteNamespaceStreams, expectProblem, randomNamespace, walkPages, type TestDatabase } from '@gridledger/testing';
import { Wallet } from 'ethers';
import type { BalancingConfig } from '../src/config';
import { bootstrapBalancing, startTestRoles, type TestRoles } from './support/roles';

/** balancing's HTTP API in-process: every error is problem details, every list is paged. */
describe('balancing HTTP API', () => {
  const namespace = randomNamespace();
  let db: TestDatabase;
  let service: RunningService<BalancingConfig>;
  let roles: TestRoles;
  /** BRP of BG-P and BG-O, the groups the schedules below send from. */
  const brp = Wallet.createRandom() as unknown as Wallet;
  /** A schedule body signed by the BRP; prices by the market operator. */
  const post = (body: unknown) => roles.signed(service.url, { method: 'POST', path: '/schedules', body }, brp);
  const put = (periodId: string, body: unknown) => roles.signed(service.url, { method: 'PUT', path: `/prices/${periodId}`, body });
  const schedule = (scheduleId: string, periodId: string) => post({ scheduleId, periodId, fromGroup: 'BG-P', toGroup: 'BG-Q', energyWh: '10' });

  beforeAll(async () => {
    db = await createTestDatabase();
    roles = await startTestRoles();
    for (const group of ['BG-P', 'BG-O']) await roles.grant('BRP', group, brp.address);
    service = await bootstrapBalancing(db.url, namespace, roles);
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    await roles?.stop();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
  });

  it('answers malformed JSON, bad fields, unknown routes and unknown group-periods with problem details', async () => {
    // Signed bytes that are not JSON: the signature holds, then the body is refused.
    await expectProblem(await post(Buffer.from('{"scheduleId":')), { status: 400, code: 'MALFORMED_BODY' });
    const bad = await expectProblem(await post({ scheduleId: '', periodId: '2030-01-01T00:07:00Z', fromGroup: 'BG-P', toGroup: 'BG-Q', energyWh: '-1' }), { status: 400, code: 'INVALID_FIELD' });
    expect(bad.errors.map((e) => e.field).sort()).toEqual(['energyWh', 'periodId', 'scheduleId']);
    await expectProblem(await fetch(`${service.url}/groups/BG-P/periods?limit=5000`), { status: 400, code: 'INVALID_LIMIT', field: 'limit' });
    await expectProblem(await fetch(`${service.url}/no-such-route`), { status: 404, code: 'NOT_FOUND', field: '(path)' });
    await expectProblem(await roles.read(`${service.url}/groups/BG-NONE/periods/2030-01-01T00:00:00Z`), { status: 404, code: 'UNKNOWN_GROUP_PERIOD', field: 'periodId' });
    await expectProblem(await roles.read(`${service.url}/groups/BG-NONE/periods/2030-01-01T00:00:00Z/proofs/M-1`), { status: 404, code: 'NO_PROOF', field: 'meterId' });
  });

  it("pages a group's periods newest first: walking every page gives every period exactly once", async () => {
    // Hours of tomorrow: inside the input horizon (7 days).
    const tomorrow = periodStartOf(Date.now() + 86_400_000, 'PT60M');
    const periodIds = Array.from({ length: 7 }, (_, i) => formatInstant(tomorrow + i * 3_600_000));
    for (const [i, periodId] of periodIds.entries()) expect((await schedule(`s-${i}`, periodId)).status).toBe(200);
    const walked = await walkPages<{ periodId: string; status: string }>(service.url, '/groups/BG-P/periods?limit=3');
    expect(walked.items.map((p) => p.periodId)).toEqual([...periodIds].reverse());
    expect(walked.pages).toBe(3);
    const accounts = await walkPages<{ account: string }>(service.url, '/ledger/balances?limit=1', await roles.asOperator());
    expect(accounts.items).toEqual([]);
  });

  it('refuses schedules and prices beyond the domain limits with 400 naming the field, and writes nothing', async () => {
    const periodId = periodIdOf(Date.now() + 2 * 86_400_000);
    const overflow = (scheduleId: string) => post({ scheduleId, periodId, fromGroup: 'BG-O', toGroup: 'BG-V', energyWh: '9223372036854775807' });
    await expectProblem(await overflow('poison-1'), { status: 400, code: 'OUT_OF_RANGE', field: 'energyWh' });
    await expectProblem(await overflow('poison-2'), { status: 400, code: 'OUT_OF_RANGE', field: 'energyWh' });
    const hugePrice = await put(periodId, { imbalancePricePerMWh: '9223372036854775807' });
    await expectProblem(hugePrice, { status: 400, code: 'OUT_OF_RANGE', field: 'imbalancePricePerMWh' });
    const hugeEnergyPrice = await put(periodId, { imbalancePricePerMWh: '100', energyPricePerMWh: '-1000000001' });
    await expectProblem(hugeEnergyPrice, { status: 400, code: 'OUT_OF_RANGE', field: 'energyPricePerMWh' });
    // Outside the input window: before the correction window, beyond the horizon.
    for (const far of ['2020-01-01T00:00:00Z', periodIdOf(Date.now() + 30 * 86_400_000)]) {
      await expectProblem(await post({ scheduleId: `far-${far}`, periodId: far, fromGroup: 'BG-O', toGroup: 'BG-V', energyWh: '1' }), { status: 400, code: 'OUTSIDE_WINDOW', field: 'periodId' });
      await expectProblem(await put(far, { imbalancePricePerMWh: '100' }), {
        status: 400,
        code: 'OUTSIDE_WINDOW',
        field: 'periodId',
      });
    }

    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const written = await client.query(
        `SELECT (SELECT count(*) FROM balancing.schedules WHERE period_id = $1) AS schedules, (SELECT count(*) FROM balancing.prices WHERE period_id = $1) AS prices,
                (SELECT count(*) FROM balancing.group_periods WHERE period_id = $1) AS group_periods`,
        [periodId],
      );
      expect(written.rows).toEqual([{ schedules: '0', prices: '0', group_periods: '0' }]);
    } finally {
      await client.end();
    }
    await expectProblem(await roles.read(`${service.url}/groups/BG-O/periods/${periodId}`), { status: 404, code: 'UNKNOWN_GROUP_PERIOD' });
    // The largest schedule inside the limits is accepted.
    const largest = await post({ scheduleId: 'largest', periodId, fromGroup: 'BG-O', toGroup: 'BG-V', energyWh: '1000000000000' });
    expect(largest.status).toBe(200);
  });
});
