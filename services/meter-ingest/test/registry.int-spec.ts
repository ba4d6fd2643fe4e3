import { Wallet } from 'ethers';
import { MeterPointsChanged, MeterPointsRegistered, MeterPointsRetired } from '@gridledger/events';
import { jsonBatchDigest, signBatchDigest } from '@gridledger/metering';
import { expectProblem, expectProblemAnswer } from '@gridledger/testing';
import { intervalJson, meterJson, signedBatch } from './support/fixtures';
import { OPERATOR_TOKEN, meterStreamMessages, postJson, requestJson, startTestService, type TestService } from './support/test-service';

const mpo = Wallet.createRandom();
const stranger = Wallet.createRandom();
const dso = Wallet.createRandom().address;
const operator = { authorization: `Bearer ${OPERATOR_TOKEN}` };

/** An MPO-signed registry request: EIP-712 over { action, meterId?, ...body, mpo }. */
async function signedRegistryBody(signer: { address: string; signTypedData: Wallet['signTypedData'] }, action: string, meterId: string | null, body: Record<string, unknown>) {
  const withMpo = { ...body, mpo: signer.address };
  const digest = jsonBatchDigest({ action, ...(meterId === null ? {} : { meterId }), ...withMpo });
  return { ...withMpo, signature: await signBatchDigest(signer, 'registry-json', digest) };
}

describe('meter registry over HTTP', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.stop());

  it('lets an MPO register its own meters by signature, and refuses other MPOs, bad tokens and no credentials', async () => {
    const body = await signedRegistryBody(mpo, 'register', null, { meters: [meterJson('M-1', mpo.address, dso), meterJson('M-2', mpo.address, dso, { groupId: 'BG-2' })] });
    expect(await postJson(`${service.url}/meters`, body)).toMatchObject({ status: 201, body: { registered: 2, unchanged: 0 } });
    // The same request again is a no-op, not an error.
    expect(await postJson(`${service.url}/meters`, body)).toMatchObject({ status: 201, body: { registered: 0, unchanged: 2 } });

    const forOther = await signedRegistryBody(stranger, 'register', null, { meters: [meterJson('M-3', mpo.address, dso)] });
    const notPermitted = expectProblemAnswer(await postJson(`${service.url}/meters`, forOther), { status: 403, code: 'NOT_PERMITTED', field: 'mpo' });
    expect(notPermitted.errors[0].reason).toMatch(/^meter M-3: /);
    const tampered = { ...body, meters: [meterJson('M-9', mpo.address, dso)] };
    expectProblemAnswer(await postJson(`${service.url}/meters`, tampered), { status: 401, code: 'BAD_SIGNATURE' });
    expectProblemAnswer(await postJson(`${service.url}/meters`, { meters: [meterJson('M-4', mpo.address, dso)] }), { status: 401, code: 'UNAUTHENTICATED' });
    expectProblemAnswer(await postJson(`${service.url}/meters`, { meters: [meterJson('M-4', mpo.address, dso)] }, { authorization: 'Bearer wrong-token-wrong-token' }), { status: 401, code: 'BAD_OPERATOR_TOKEN' });
    const bad = await postJson(`${service.url}/meters`, { meters: [meterJson('M-5', mpo.address, dso, { connectionLimitW: '-5' }), meterJson('M-6', 'nobody', dso)] }, operator);
    expect(expectProblemAnswer(bad, { status: 400 }).errors.map((e) => e.field)).toEqual(['meters[0].connectionLimitW', 'meters[1].mpo']);
    const [{ n }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM meter_points`);
    expect(n).toBe(2);
  });

  it('changes a group at a period boundary; intake then books each period to the group in force', async () => {
    const change = await signedRegistryBody(mpo, 'change', 'M-1', { effectiveFrom: '2026-03-29T12:00:00Z', groupId: 'BG-NEW' });
    const changed = await requestJson(`${service.url}/meters/M-1`, 'PATCH', change);
    expect(changed).toMatchObject({ status: 200, body: { meterId: 'M-1', groupId: 'BG-NEW', validFrom: '2026-03-29T12:00:00.000Z', validTo: null } });
    const replayedChange = await requestJson(`${service.url}/meters/M-2`, 'PATCH', change);
    expect(replayedChange).toMatchObject({ status: 401 });
    const offBoundary = await requestJson(`${service.url}/meters/M-1`, 'PATCH', { effectiveFrom: '2026-03-29T12:05:00Z', groupId: 'X' }, operator);
    expectProblemAnswer(offBoundary, { status: 400, code: 'NOT_AT_PERIOD_BOUNDARY', field: 'effectiveFrom' });

    const view = await requestJson(`${service.url}/meters/M-1`, 'GET', undefined);
    expect(view.body).toMatchObject({ status: 'active', versions: [{ groupId: 'BG-1', validTo: '2026-03-29T12:00:00.000Z' }, { groupId: 'BG-NEW', validTo: null }] });

    const batch = await signedBatch(mpo, { intervals: [intervalJson('M-1', '2026-03-29T11:45:00Z', '10'), intervalJson('M-1', '2026-03-29T12:00:00Z', '20')] });
    const answer = await postJson(`${service.url}/readings`, batch);
    expect(answer.body).toMatchObject({ accepted: 2, groups: [{ groupId: 'BG-1', intervals: 1 }, { groupId: 'BG-NEW', intervals: 1 }] });
  });

  it('retires a meter; later values are refused as METER_RETIRED and the registry events are published', async () => {
    const retired = await requestJson(`${service.url}/meters/M-2`, 'DELETE', { effectiveAt: '2026-03-30T00:00:00Z' }, operator);
    expect(retired).toMatchObject({ status: 200, body: { meterId: 'M-2', validTo: '2026-03-30T00:00:00.000Z' } });
    const again = await fetch(`${service.url}/meters/M-2?effectiveAt=2026-03-31T00:00:00Z`, { method: 'DELETE', headers: operator });
    await expectProblem(again, { status: 409, code: 'METER_RETIRED' });
    expectProblemAnswer(await requestJson(`${service.url}/meters/NOPE`, 'GET', undefined), { status: 404, code: 'UNKNOWN_METER', field: 'meterId' });
    await expectProblem(await fetch(`${service.url}/no-such-route`), { status: 404, code: 'NOT_FOUND', field: '(path)' });

    const batch = await signedBatch(mpo, { intervals: [intervalJson('M-2', '2026-03-29T23:45:00Z', '1'), intervalJson('M-2', '2026-03-30T00:00:00Z', '1')] });
    const answer = await postJson(`${service.url}/readings`, batch);
    expect(answer.body).toMatchObject({ accepted: 1, rejections: [{ code: 'METER_RETIRED', meterId: 'M-2', field: 'intervals[1].periodId' }] });

    await service.running.outboxRelay?.flush();
    const messages = await meterStreamMessages(service);
    const registered = messages.filter((m) => m.subject === 'meter.points.registered');
    expect(registered).toHaveLength(1);
    expect(MeterPointsRegistered.parse(registered[0].data).data.points.map((p) => p.meterId)).toEqual(['M-1', 'M-2']);
    const changed = MeterPointsChanged.parse(messages.find((m) => m.subject === 'meter.points.changed')?.data);
    expect(changed.data).toMatchObject({ requestedBy: mpo.address, points: [{ meterId: 'M-1', groupId: 'BG-NEW', validFrom: '2026-03-29T12:00:00.000Z' }] });
    const retiredEvent = MeterPointsRetired.parse(messages.find((m) => m.subject === 'meter.points.retired')?.data);
    expect(retiredEvent.data).toMatchObject({ requestedBy: 'operator', points: [{ meterId: 'M-2', validTo: '2026-03-30T00:00:00.000Z' }] });
  });

  it('publishes registrations and batches too large for one NATS message in parts', async () => {
    const meters = Array.from({ length: 2_500 }, (_, i) => meterJson(`BULK-${i}`, mpo.address, dso, { groupId: 'BG-BULK' }));
    expect(await postJson(`${service.url}/meters`, { meters }, operator)).toMatchObject({ status: 201, body: { registered: 2_500 } });
    const intervals = meters.flatMap((m) => ['2026-03-29T00:00:00Z', '2026-03-29T00:15:00Z'].map((periodId) => intervalJson(String(m.meterId), periodId, '1')));
    const answer = await postJson(`${service.url}/readings`, await signedBatch(mpo, { intervals }));
    expect(answer.body).toMatchObject({ accepted: 5_000, groups: [{ groupId: 'BG-BULK', intervals: 5_000 }] });
    await service.running.outboxRelay?.flush();
    const messages = await meterStreamMessages(service);
    const bulk = messages.filter((m) => m.subject === 'meter.points.registered' && (m.data.data.points as { meterId: string }[])[0].meterId.startsWith('BULK'));
    expect(bulk.map((m) => [m.data.data.part, m.data.data.parts, (m.data.data.points as unknown[]).length])).toEqual([
      [1, 2, 2_000],
      [2, 2, 500],
    ]);
    const measured = messages.filter((m) => m.subject === 'meter.intervals.measured.BG-BULK');
    expect(measured.map((m) => [m.data.data.part, m.data.data.parts, (m.data.data.intervals as unknown[]).length])).toEqual([
      [1, 2, 4_000],
      [2, 2, 1_000],
    ]);
    expect(new Set(measured.map((m) => m.data.id)).size).toBe(2);

    // The same 5,000 values in another batch: the direct COPY meets the stored keys midway,
    // falls back to the staging path and answers them as duplicates, one conflict named.
    const changed = intervals.map((v, i) => (i === 4_321 ? { ...v, energyWh: '2' } : v));
    const resent = await postJson(`${service.url}/readings`, await signedBatch(mpo, { batchRef: 'resent', intervals: changed }));
    expect(resent.body).toMatchObject({ accepted: 0, duplicates: 4_999, rejected: 1, rejections: [{ code: 'CONFLICTING_DUPLICATE', field: 'intervals[4321]' }] });
  });
});
