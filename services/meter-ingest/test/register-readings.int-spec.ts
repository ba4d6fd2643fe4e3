import { Wallet } from 'ethers';
import { meterJson, signedBatch } from './support/fixtures';
import { AS_OPERATOR, postJson, startTestService, type TestService } from './support/test-service';

const mpo = Wallet.createRandom();
const reading = (readAt: string, registerWh: string, extra: Record<string, unknown> = {}) => ({ meterId: 'R-1', readAt, registerWh, ...extra });

describe('cumulative register readings over HTTP', () => {
  let service: TestService;
  const send = async (readings: unknown[]) => (await postJson(`${service.url}/readings`, await signedBatch(mpo, { readings }))).body;
  const stored = async () =>
    (await service.running.dataSource.query(`SELECT to_char(period_start AT TIME ZONE 'UTC', 'HH24:MI') AS at, energy_wh::int AS wh FROM intervals ORDER BY period_start`)) as { at: string; wh: number }[];

  beforeAll(async () => {
    service = await startTestService();
    await service.grant('MPO', ['BG-1'], mpo.address);
    const meters = [meterJson('R-1', mpo.address, Wallet.createRandom().address, { direction: 'consumption' })];
    expect((await postJson(`${service.url}/meters`, { meters }, AS_OPERATOR)).status).toBe(201);
  });
  afterAll(() => service.stop());

  it('splits register deltas into whole periods that sum to the delta, completing partial periods with a later batch', async () => {
    expect(await send([reading('2026-03-29T00:00:00Z', '1000'), reading('2026-03-29T01:00:00Z', '1400'), reading('2026-03-29T01:07:00Z', '1500')])).toMatchObject({ accepted: 4, rejected: 0 });
    expect(await stored()).toEqual([
      { at: '00:00', wh: 100 },
      { at: '00:15', wh: 100 },
      { at: '00:30', wh: 100 },
      { at: '00:45', wh: 100 },
    ]);
    // 01:07 → 01:30 completes 01:00 and adds 01:15, time-proportionally, in integer Wh.
    expect(await send([reading('2026-03-29T01:30:00Z', '1700')])).toMatchObject({ accepted: 2, rejected: 0 });
    const periods = await stored();
    // At 01:15 the register is 1500 + floor(200 × 8/23) = 1569: 01:00 gets 169, 01:15 the rest.
    expect(periods.slice(4)).toEqual([
      { at: '01:00', wh: 169 },
      { at: '01:15', wh: 131 },
    ]);
    expect(periods.reduce((sum, p) => sum + p.wh, 0)).toBe(1700 - 1000);
  });

  it('refuses a register going backwards and a reading before the last one, each with a reason', async () => {
    const answer = await send([reading('2026-03-29T02:00:00Z', '1600'), { meterId: 'R-1', readAt: '2026-03-29T00:30:00Z', registerWh: '1200' }]);
    const codes = (answer.rejections as { code: string; field: string }[]).map((r) => `${r.code}@${r.field}`).sort();
    expect(codes).toEqual(['REGISTER_BACKWARDS@readings[0].registerWh', 'REGISTER_OUT_OF_ORDER@readings[1].readAtMs']);
    expect(answer).toMatchObject({ accepted: 0, status: 'rejected' });
  });

  it('accepts a declared meter exchange with the old meter’s final value, losing no energy', async () => {
    const answer = await send([reading('2026-03-29T02:00:00Z', '5', { meterExchange: true, previousMeterFinalWh: '1900' }), reading('2026-03-29T02:30:00Z', '105')]);
    expect(answer).toMatchObject({ accepted: 4, rejected: 0 });
    const periods = await stored();
    expect(periods.reduce((sum, p) => sum + p.wh, 0)).toBe(1900 - 1000 + 100);
  });
});
