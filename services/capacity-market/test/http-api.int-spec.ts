import { bootstrapService, type RunningService } from '@gridledger/service-kit';
import { testNatsEnv, createTestDatabase, deleteNamespaceStreams, expectProblem, randomNamespace, walkPages, type TestDatabase } from '@gridledger/testing';
import type { CapacityMarketConfig } from '../src/config';
import { capacityMarketService } from '../src/service';

const OPERATOR = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';

/** capacity-market's HTTP API in-process: every error is problem details, every list is paged. */
describe('capacity-market HTTP API', () => {
  const namespace = randomNamespace();
  let db: TestDatabase;
  let service: RunningService<CapacityMarketConfig>;

  const post = (path: string, body: unknown, raw?: string) =>
    fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
  const plant = (plantId: string, capacityW = '10000') => ({ plantId, kind: 'pv', meterId: `M-${plantId}`, capacityW, operator: OPERATOR, groupId: 'BG-A', feePerMWPeriodCents: '0' });
  const rejectedInputs = async () => ((await service.dataSource.query(`SELECT count(*)::int AS n FROM rejected_inputs`)) as { n: number }[])[0].n;

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await bootstrapService(
      capacityMarketService({ DATABASE_URL: db.url, ...testNatsEnv(), NATS_NAMESPACE: namespace, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'error', CAPACITY_CLOCK_START: '2026-03-29T00:00:00Z' }),
    );
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
  });

  it('answers malformed JSON, bad fields, unknown routes and ids, conflicts and refusals with problem details', async () => {
    await expectProblem(await post('/plants', undefined, '{"plantId":'), { status: 400, code: 'BAD_REQUEST', field: '(request)' });
    const badFields = await expectProblem(await post('/plants', { ...plant('p-bad'), capacityW: '-1', operator: undefined }), { status: 400, code: 'INVALID_FIELD' });
    expect(badFields.errors.map((e) => e.field).sort()).toEqual(['capacityW', 'operator']);
    await expectProblem(await fetch(`${service.url}/no-such-route`), { status: 404, code: 'NOT_FOUND', field: '(path)' });
    await expectProblem(await fetch(`${service.url}/plants/nope`), { status: 404, code: 'PLANT_NOT_REGISTERED', field: 'plantId' });
    await expectProblem(await fetch(`${service.url}/holders/nope/statement?period=x`), { status: 404, code: 'HOLDER_NOT_REGISTERED' });

    expect((await post('/plants', plant('p-small', '10'))).status).toBe(201);
    expect((await post('/holders', { holderId: 'h-1', consumptionMeterId: 'C-1', groupId: 'BG-A' })).status).toBe(201);
    const refusedBefore = await rejectedInputs();
    await expectProblem(await post('/plants', plant('p-small')), { status: 409, code: 'PLANT_ALREADY_REGISTERED', field: 'plantId' });
    await expectProblem(await post('/plants/p-small/shares/issue', { holderId: 'h-1', sharesW: '11' }), { status: 422, code: 'BEYOND_CAPACITY', field: 'sharesW' });
    // Refused commands are still recorded with their field and reason.
    expect(await rejectedInputs()).toBe(refusedBefore + 2);
    await expectProblem(await fetch(`${service.url}/plants?limit=0`), { status: 400, code: 'INVALID_LIMIT', field: 'limit' });
    await expectProblem(await fetch(`${service.url}/plants?after=not-a-cursor`), { status: 400, code: 'INVALID_CURSOR', field: 'after' });
  });

  it('pages plants and a plant\'s holdings: walking every page gives every row exactly once, in id order', async () => {
    const plantIds = Array.from({ length: 7 }, (_, i) => `pv-${String(i).padStart(2, '0')}`);
    for (const plantId of plantIds) expect((await post('/plants', plant(plantId))).status).toBe(201);
    const holderIds = Array.from({ length: 5 }, (_, i) => `holder-${i}`);
    for (const holderId of holderIds) {
      expect((await post('/holders', { holderId, consumptionMeterId: `C-${holderId}`, groupId: 'BG-A' })).status).toBe(201);
      expect((await post('/plants/pv-00/shares/issue', { holderId, sharesW: '10' })).status).toBe(200);
    }
    const plants = await walkPages<{ plantId: string }>(service.url, '/plants?limit=3');
    const expected = [...plantIds, 'p-small'].sort((a, b) => (a < b ? -1 : 1));
    expect(plants.items.map((p) => p.plantId)).toEqual(expected);
    expect(plants.pages).toBe(3);
    const holdings = await walkPages<{ holderId: string; sharesW: string }>(service.url, '/plants/pv-00/holdings?limit=2');
    expect(holdings.items).toEqual(holderIds.map((holderId) => expect.objectContaining({ holderId, sharesW: '10' })));
    expect(holdings.pages).toBe(3);
    // The default page holds them all and says there is no next one.
    expect(await (await fetch(`${service.url}/plants`)).json()).toMatchObject({ items: expect.any(Array), next: null });
  });
});
