import type { Wallet } from 'ethers';
import { expectProblem } from '@gridledger/testing';
import { participant, startCapacityService, type CapacityTestService } from './support/capacity-service';

/**
 * Every `signed` and `session` row of docs/authorization.md "## capacity-market": a request
 * without credentials is 401, one by a key without the role or not the party the rule names
 * is 403, and afterwards the books read exactly as before (no plant or holder registered, no
 * share minted, moved or retired). The rows' own parties are let through; a revoked
 * PLANT_OPERATOR is refused from the next poll of the role mirror on.
 */
describe('capacity-market authorization (docs/authorization.md)', () => {
  let service: CapacityTestService;
  let plantOperator: Wallet;
  let otherPlantOperator: Wallet;
  let alice: Wallet;
  let bob: Wallet;
  let stranger: Wallet;
  const plant = (plantId: string, operator: string) => ({ plantId, kind: 'pv', meterId: `M-${plantId}`, capacityW: '10000', operator, groupId: 'BG-A', feePerMWPeriodCents: '0' });
  const holder = (wallet: { address: string }, meter: string) => ({ holderId: wallet.address, consumptionMeterId: meter, groupId: 'BG-A' });
  const unsigned = (path: string, body: unknown) => fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  /** Everything a write could change: the event streams, plants, holders and open holdings. */
  async function books(): Promise<unknown> {
    const query = (sql: string) => service.running.dataSource.query(sql);
    return {
      streams: await query(`SELECT stream_id, max(stream_version)::int AS version FROM events GROUP BY stream_id ORDER BY stream_id`),
      plants: await query(`SELECT plant_id, operator, issued_w FROM plants ORDER BY plant_id`),
      holders: await query(`SELECT holder_id FROM holders ORDER BY holder_id`),
      holdings: await query(`SELECT plant_id, holder_id, shares_w FROM holdings WHERE valid_to IS NULL ORDER BY plant_id, holder_id`),
    };
  }

  /** Each refusal leaves the books as they were. */
  async function refusedWithoutWrite(send: () => Promise<Response>, expected: { status: 401 | 403; code?: string; field?: string }): Promise<void> {
    const before = await books();
    await expectProblem(await send(), expected);
    expect(await books()).toEqual(before);
  }

  beforeAll(async () => {
    service = await startCapacityService();
    [plantOperator, otherPlantOperator, alice, bob, stranger] = [participant(), participant(), participant(), participant(), participant()];
    await service.grant('PLANT_OPERATOR', 'pv-1', plantOperator.address);
    await service.grant('PLANT_OPERATOR', 'pv-2', plantOperator.address);
    await service.grant('PLANT_OPERATOR', 'pv-other', otherPlantOperator.address);
    // The rows' own parties: the plant operator registers its plant and issues; holders register themselves.
    expect((await service.post(plantOperator, '/plants', plant('pv-1', plantOperator.address))).status).toBe(201);
    expect((await service.post(alice, '/holders', holder(alice, 'C-alice'))).status).toBe(201);
    expect((await service.post(bob, '/holders', holder(bob, 'C-bob'))).status).toBe(201);
    expect((await service.post(plantOperator, '/plants/pv-1/shares/issue', { holderId: alice.address, sharesW: '5000' })).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
  });

  describe('POST /plants: a PLANT_OPERATOR of plantId naming itself, or MARKET_OPERATOR', () => {
    it('refuses no signature (401), a key without the role, another plant\'s operator, and an operator naming someone else (403)', async () => {
      await refusedWithoutWrite(() => unsigned('/plants', plant('pv-2', plantOperator.address)), { status: 401 });
      await refusedWithoutWrite(() => service.post(stranger, '/plants', plant('pv-2', stranger.address)), { status: 403, code: 'MISSING_ROLE', field: 'plantId' });
      await refusedWithoutWrite(() => service.post(otherPlantOperator, '/plants', plant('pv-2', otherPlantOperator.address)), { status: 403, code: 'MISSING_ROLE', field: 'plantId' });
      await refusedWithoutWrite(() => service.post(plantOperator, '/plants', plant('pv-2', stranger.address)), { status: 403, code: 'OPERATOR_NOT_SIGNER', field: 'operator' });
    });

    it('lets the market operator register any plant, naming any operator', async () => {
      expect((await service.post(service.operator, '/plants', plant('pv-mo', stranger.address))).status).toBe(201);
      expect(await (await fetch(`${service.url}/plants/pv-mo`)).json()).toMatchObject({ plantId: 'pv-mo', operator: stranger.address });
    });
  });

  describe('POST /plants/{plantId}/shares/issue: the plant\'s PLANT_OPERATOR', () => {
    it('refuses no signature (401); a stranger, a holder, another plant\'s operator and the market operator (403); no share is minted', async () => {
      const issue = { holderId: bob.address, sharesW: '100' };
      await refusedWithoutWrite(() => unsigned('/plants/pv-1/shares/issue', issue), { status: 401 });
      for (const signer of [stranger, alice, bob, otherPlantOperator, service.operator]) {
        await refusedWithoutWrite(() => service.post(signer, '/plants/pv-1/shares/issue', issue), { status: 403, code: 'MISSING_ROLE', field: 'plantId' });
      }
    });
  });

  describe('POST /plants/{plantId}/shares/transfer: the signer is fromHolderId', () => {
    it('refuses no signature (401); the receiver, the plant operator, the market operator and a stranger moving alice\'s shares (403); nothing moves', async () => {
      const transfer = { fromHolderId: alice.address, toHolderId: bob.address, sharesW: '100' };
      await refusedWithoutWrite(() => unsigned('/plants/pv-1/shares/transfer', transfer), { status: 401 });
      for (const signer of [bob, plantOperator, service.operator, stranger]) {
        await refusedWithoutWrite(() => service.post(signer, '/plants/pv-1/shares/transfer', transfer), { status: 403, code: 'HOLDER_NOT_SIGNER', field: 'fromHolderId' });
      }
      // The holder itself moves them (any spelling of its address names it).
      const moved = await service.post(alice, '/plants/pv-1/shares/transfer', { ...transfer, fromHolderId: alice.address.toLowerCase() });
      expect(moved.status).toBe(200);
      expect(await moved.json()).toMatchObject({ balances: { [alice.address]: '4900', [bob.address]: '100' } });
    });
  });

  describe('POST /plants/{plantId}/shares/retire: the signer is holderId', () => {
    it('refuses no signature (401); another holder, the plant operator and the market operator (403); nothing is retired', async () => {
      const retire = { holderId: alice.address, sharesW: '10' };
      await refusedWithoutWrite(() => unsigned('/plants/pv-1/shares/retire', retire), { status: 401 });
      for (const signer of [bob, plantOperator, service.operator]) {
        await refusedWithoutWrite(() => service.post(signer, '/plants/pv-1/shares/retire', retire), { status: 403, code: 'HOLDER_NOT_SIGNER', field: 'holderId' });
      }
      expect((await service.post(alice, '/plants/pv-1/shares/retire', retire)).status).toBe(200);
    });
  });

  describe('POST /holders: the holder itself (holderId = signer), or MARKET_OPERATOR', () => {
    it('refuses no signature (401) and registering another address (403); an id that is not an address is 400', async () => {
      const carol = participant();
      await refusedWithoutWrite(() => unsigned('/holders', holder(carol, 'C-carol')), { status: 401 });
      await refusedWithoutWrite(() => service.post(stranger, '/holders', holder(carol, 'C-carol')), { status: 403, code: 'HOLDER_NOT_SIGNER', field: 'holderId' });
      await refusedWithoutWrite(() => service.post(plantOperator, '/holders', holder(carol, 'C-carol')), { status: 403, code: 'HOLDER_NOT_SIGNER', field: 'holderId' });
      await expectProblem(await service.post(carol, '/holders', { holderId: 'carol', consumptionMeterId: 'C-carol', groupId: 'BG-A' }), { status: 400, code: 'INVALID_FIELD', field: 'holderId' });
    });

    it('registers a holder under its checksummed address, by itself or by the market operator', async () => {
      const carol = participant();
      const dave = participant();
      const self = await service.post(carol, '/holders', { ...holder(carol, 'C-carol'), holderId: carol.address.toLowerCase() });
      expect(self.status).toBe(201);
      expect(await self.json()).toEqual({ holderId: carol.address });
      expect((await service.post(service.operator, '/holders', holder(dave, 'C-dave'))).status).toBe(201);
    });
  });

  describe('session reads', () => {
    it('GET /plants/{plantId}/holdings: the plant\'s PLANT_OPERATOR or MARKET_OPERATOR; no session 401, anyone else 403', async () => {
      await expectProblem(await fetch(`${service.url}/plants/pv-1/holdings`), { status: 401 });
      for (const reader of [stranger, alice, otherPlantOperator]) await expectProblem(await service.read(reader, '/plants/pv-1/holdings'), { status: 403, code: 'MISSING_ROLE', field: 'authorization' });
      for (const reader of [plantOperator, service.operator]) {
        const answer = await service.read(reader, '/plants/pv-1/holdings');
        expect(answer.status).toBe(200);
        expect(((await answer.json()) as { items: { holderId: string }[] }).items.map((h) => h.holderId).sort()).toEqual([alice.address, bob.address].sort());
      }
    });

    it('GET /holders/{holderId} and its statement: the holder or MARKET_OPERATOR; no session 401, anyone else 403 (also for an unknown holder)', async () => {
      const paths = [`/holders/${alice.address}`, `/holders/${alice.address}/statement?month=2026-03`];
      for (const path of paths) {
        await expectProblem(await fetch(`${service.url}${path}`), { status: 401 });
        for (const reader of [bob, plantOperator, stranger]) await expectProblem(await service.read(reader, path), { status: 403, code: 'NOT_THE_HOLDER', field: 'authorization' });
        for (const reader of [alice, service.operator]) expect((await service.read(reader, path)).status).toBe(200);
      }
      // Whether a holder exists is not told to a stranger.
      await expectProblem(await service.read(stranger, `/holders/${participant().address}`), { status: 403, code: 'NOT_THE_HOLDER' });
      expect(await (await service.read(alice, `/holders/${alice.address.toLowerCase()}`)).json()).toMatchObject({ holderId: alice.address, holdings: [expect.objectContaining({ plantId: 'pv-1' })] });
    });

    it('leaves public market data open: GET /plants and GET /plants/{plantId}', async () => {
      expect((await fetch(`${service.url}/plants`)).status).toBe(200);
      expect((await fetch(`${service.url}/plants/pv-1`)).status).toBe(200);
    });
  });

  it('refuses a revoked PLANT_OPERATOR: no issue, no plant, no holdings read', async () => {
    const operator = participant();
    await service.grant('PLANT_OPERATOR', 'pv-rev', operator.address);
    expect((await service.post(operator, '/plants', plant('pv-rev', operator.address))).status).toBe(201);
    expect((await service.post(operator, '/plants/pv-rev/shares/issue', { holderId: bob.address, sharesW: '1' })).status).toBe(200);
    await service.revoke('PLANT_OPERATOR', 'pv-rev', operator.address);
    await refusedWithoutWrite(() => service.post(operator, '/plants/pv-rev/shares/issue', { holderId: bob.address, sharesW: '1' }), { status: 403, code: 'MISSING_ROLE' });
    await expectProblem(await service.read(operator, '/plants/pv-rev/holdings'), { status: 403, code: 'MISSING_ROLE' });
    expect(await (await fetch(`${service.url}/plants/pv-rev`)).json()).toMatchObject({ issuedW: '1' });
  });
});
