import { expectProblem, walkPages } from '@gridledger/testing';
import { participant, startCapacityService, type CapacityTestService } from './support/capacity-service';

/**
 * capacity-market's HTTP API in-process: every error is problem details, every list is paged.
 * Writes are signed by the market operator (plants, holders) and the holders; reads of
 * holdings in the market operator's session.
 */
describe('capacity-market HTTP API', () => {
  let service: CapacityTestService;
  const plantOperator = participant();
  const h1 = participant();

  // Plants are registered by the market operator naming the plant operator; shares issued by it.
  const post = (path: string, body: unknown, raw?: string) =>
    raw === undefined
      ? service.post(path.includes('/shares/issue') ? plantOperator : service.operator, path, body)
      : service.post(service.operator, path, Buffer.from(raw));
  const plant = (plantId: string, capacityW = '10000') => ({ plantId, kind: 'pv', meterId: `M-${plantId}`, capacityW, operator: plantOperator.address, groupId: 'BG-A', feePerMWPeriodCents: '0' });
  const rejectedInputs = async () => ((await service.running.dataSource.query(`SELECT count(*)::int AS n FROM rejected_inputs`)) as { n: number }[])[0].n;
  const walk = async <T>(path: string) => {
    const pages: T[][] = [];
    let next: string | null = path;
    while (next) {
      const answer = await service.read(service.operator, next);
      const page = (await answer.json()) as { items: T[]; next: string | null };
      pages.push(page.items);
      next = page.next;
    }
    return { items: pages.flat(), pages: pages.length };
  };

  beforeAll(async () => {
    service = await startCapacityService();
    for (const plantId of ['p-small', ...Array.from({ length: 7 }, (_, i) => `pv-${String(i).padStart(2, '0')}`)]) {
      await service.roles.chain.grant('PLANT_OPERATOR', plantId, plantOperator.address);
    }
    await service.grant('PLANT_OPERATOR', 'pv-06', plantOperator.address);
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
  });

  it('answers malformed JSON, bad fields, unknown routes and ids, conflicts and refusals with problem details', async () => {
    await expectProblem(await post('/plants', undefined, '{"plantId":'), { status: 400, code: 'MALFORMED_BODY', field: '(body)' });
    const badFields = await expectProblem(await post('/plants', { ...plant('p-bad'), capacityW: '-1', operator: undefined }), { status: 400, code: 'INVALID_FIELD' });
    expect(badFields.errors.map((e) => e.field).sort()).toEqual(['capacityW', 'operator']);
    await expectProblem(await fetch(`${service.url}/no-such-route`), { status: 404, code: 'NOT_FOUND', field: '(path)' });
    await expectProblem(await fetch(`${service.url}/plants/nope`), { status: 404, code: 'PLANT_NOT_REGISTERED', field: 'plantId' });
    await expectProblem(await service.read(service.operator, '/holders/nope/statement?period=x'), { status: 404, code: 'HOLDER_NOT_REGISTERED' });

    expect((await post('/plants', plant('p-small', '10'))).status).toBe(201);
    expect((await service.post(h1, '/holders', { holderId: h1.address, consumptionMeterId: 'C-1', groupId: 'BG-A' })).status).toBe(201);
    const refusedBefore = await rejectedInputs();
    await expectProblem(await post('/plants', plant('p-small')), { status: 409, code: 'PLANT_ALREADY_REGISTERED', field: 'plantId' });
    await expectProblem(await post('/plants/p-small/shares/issue', { holderId: h1.address, sharesW: '11' }), { status: 422, code: 'BEYOND_CAPACITY', field: 'sharesW' });
    // Refused commands are still recorded with their field and reason.
    expect(await rejectedInputs()).toBe(refusedBefore + 2);
    await expectProblem(await fetch(`${service.url}/plants?limit=0`), { status: 400, code: 'INVALID_LIMIT', field: 'limit' });
    await expectProblem(await fetch(`${service.url}/plants?after=not-a-cursor`), { status: 400, code: 'INVALID_CURSOR', field: 'after' });
  });

  it('pages plants and a plant\'s holdings: walking every page gives every row exactly once, in id order', async () => {
    const plantIds = Array.from({ length: 7 }, (_, i) => `pv-${String(i).padStart(2, '0')}`);
    for (const plantId of plantIds) expect((await post('/plants', plant(plantId))).status).toBe(201);
    const holders = Array.from({ length: 5 }, () => participant());
    const holderIds = holders.map((holder) => holder.address).sort((a, b) => (a < b ? -1 : 1));
    for (const [i, holder] of holders.entries()) {
      expect((await service.post(holder, '/holders', { holderId: holder.address, consumptionMeterId: `C-holder-${i}`, groupId: 'BG-A' })).status).toBe(201);
      expect((await post('/plants/pv-00/shares/issue', { holderId: holder.address, sharesW: '10' })).status).toBe(200);
    }
    const plants = await walkPages<{ plantId: string }>(service.url, '/plants?limit=3');
    const expected = [...plantIds, 'p-small'].sort((a, b) => (a < b ? -1 : 1));
    expect(plants.items.map((p) => p.plantId)).toEqual(expected);
    expect(plants.pages).toBe(3);
    const holdings = await walk<{ holderId: string; sharesW: string }>('/plants/pv-00/holdings?limit=2');
    expect(holdings.items).toEqual(holderIds.map((holderId) => expect.objectContaining({ holderId, sharesW: '10' })));
    expect(holdings.pages).toBe(3);
    // The default page holds them all and says there is no next one.
    expect(await (await fetch(`${service.url}/plants`)).json()).toMatchObject({ items: expect.any(Array), next: null });
  });
});
