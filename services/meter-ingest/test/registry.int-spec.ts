import { Wallet } from 'ethers';
import { MeterIntervalsMeasured, MeterPointsChanged, MeterPointsRegistered, MeterPointsRetired, measuredValueCount } from '@gridledger/events';
import { signSession } from '@gridledger/auth';
import { expectProblem, expectProblemAnswer, waitFor } from '@gridledger/testing';
import { REGISTRY_LOCK_BUCKETS } from '../src/registry/meter-registry.service';
import { GRID_AREA, intervalJson, meterJson, signedBatch } from './support/fixtures';
import { AS_OPERATOR, meterStreamMessages, postJson, requestJson, signedHeaders, startTestService, type TestService } from './support/test-service';

const mpo = Wallet.createRandom();
const stranger = Wallet.createRandom();
const dsoWallet = Wallet.createRandom();
const otherDso = Wallet.createRandom();
const dso = dsoWallet.address;

/** A registry request signed by `signer` (the DSO of the grid area, the market operator, or someone without the role). */
async function signedRequest(service: TestService, signer: Wallet | ReturnType<typeof Wallet.createRandom>, method: string, path: string, body?: unknown) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers = await signedHeaders(signer, method, `${service.url}${path}`, text);
  const response = await fetch(`${service.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : text });
  const answer = await response.text();
  return { status: response.status, body: answer ? (JSON.parse(answer) as Record<string, unknown>) : {}, contentType: response.headers.get('content-type') };
}

describe('meter registry over HTTP', () => {
  let service: TestService;
  const pointCount = async () => ((await service.running.dataSource.query(`SELECT count(*)::int AS n FROM meter_points`)) as { n: number }[])[0].n;
  beforeAll(async () => {
    service = await startTestService();
    await service.grant('DSO', [GRID_AREA], dso);
    await service.grant('DSO', ['GA-OTHER'], otherDso.address);
    await service.grant('MPO', ['BG-1', 'BG-2', 'BG-NEW', 'BG-BULK'], mpo.address);
  });
  afterAll(() => service.stop());

  it('lets the DSO of the grid area register meter points naming their MPO; refuses the MPO itself, other DSOs, strangers, tampering and no signature', async () => {
    const body = { meters: [meterJson('M-1', mpo.address, dso), meterJson('M-2', mpo.address, dso, { groupId: 'BG-2' })] };
    expect(await signedRequest(service, dsoWallet, 'POST', '/meters', body)).toMatchObject({ status: 201, body: { registered: 2, unchanged: 0 } });
    // The same request again (a new signature, a new nonce) is a no-op, not an error.
    expect(await signedRequest(service, dsoWallet, 'POST', '/meters', body)).toMatchObject({ status: 201, body: { registered: 0, unchanged: 2 } });

    for (const signer of [mpo, otherDso, stranger]) {
      const refused = expectProblemAnswer(await signedRequest(service, signer, 'POST', '/meters', { meters: [meterJson('M-3', mpo.address, dso)] }), { status: 403, code: 'NOT_PERMITTED', field: 'gridArea' });
      expect(refused.errors[0].reason).toMatch(/^meter M-3: only the DSO of grid area "GA-1" or the market operator/);
    }
    const text = JSON.stringify({ meters: [meterJson('M-9', mpo.address, dso)] });
    const signedOther = await signedHeaders(dsoWallet, 'POST', `${service.url}/meters`, JSON.stringify({ meters: [meterJson('M-8', mpo.address, dso)] }));
    expectProblemAnswer(await postJson(`${service.url}/meters`, text, signedOther), { status: 401, code: 'BAD_SIGNATURE' });
    expectProblemAnswer(await postJson(`${service.url}/meters`, text), { status: 401, code: 'UNAUTHENTICATED' });
    expectProblemAnswer(await postJson(`${service.url}/meters`, text, { authorization: 'Bearer operator-token-for-tests-0123456789' }), { status: 401, code: 'UNAUTHENTICATED' });
    // A replayed registry request (same nonce) is refused.
    const once = await signedHeaders(dsoWallet, 'POST', `${service.url}/meters`, text);
    expect((await postJson(`${service.url}/meters`, text, once)).status).toBe(201);
    expectProblemAnswer(await postJson(`${service.url}/meters`, text, once), { status: 401, code: 'NONCE_REUSED' });
    const bad = await postJson(`${service.url}/meters`, { meters: [meterJson('M-5', mpo.address, dso, { connectionLimitW: '-5' }), meterJson('M-6', 'nobody', dso)] }, AS_OPERATOR);
    expect(expectProblemAnswer(bad, { status: 400 }).errors.map((e) => e.field)).toEqual(['meters[0].connectionLimitW', 'meters[1].mpo']);
    expect(await pointCount()).toBe(3);
  });

  it('refuses registry changes older than the correction window, naming it', async () => {
    const old = await signedRequest(service, dsoWallet, 'POST', '/meters', { meters: [meterJson('M-OLD', mpo.address, dso, { validFrom: '2001-01-01T00:00:00Z' })] });
    expectProblemAnswer(old, { status: 422, code: 'OUTSIDE_CORRECTION_WINDOW', field: 'validFrom' });
    expect(await pointCount()).toBe(3);
  });

  it('changes a group at a period boundary; intake then books each period to the group in force', async () => {
    const change = { effectiveFrom: '2026-03-29T12:00:00Z', groupId: 'BG-NEW' };
    expectProblemAnswer(await signedRequest(service, mpo, 'PATCH', '/meters/M-1', change), { status: 403, code: 'NOT_PERMITTED' });
    const changed = await signedRequest(service, dsoWallet, 'PATCH', '/meters/M-1', change);
    expect(changed).toMatchObject({ status: 200, body: { meterId: 'M-1', groupId: 'BG-NEW', validFrom: '2026-03-29T12:00:00.000Z', validTo: null } });
    // A change signed for M-1 does not apply to M-2 (the path is signed).
    const forM1 = await signedHeaders(dsoWallet, 'PATCH', `${service.url}/meters/M-1`, JSON.stringify(change));
    const moved = await fetch(`${service.url}/meters/M-2`, { method: 'PATCH', headers: { 'content-type': 'application/json', ...forM1 }, body: JSON.stringify(change) });
    expect(moved.status).toBe(401);
    const offBoundary = await requestJson(`${service.url}/meters/M-1`, 'PATCH', { effectiveFrom: '2026-03-29T12:05:00Z', groupId: 'X' }, AS_OPERATOR);
    expectProblemAnswer(offBoundary, { status: 400, code: 'NOT_AT_PERIOD_BOUNDARY', field: 'effectiveFrom' });

    // Reads need a session: the MPO, the DSO and the market operator see the point; a stranger does not learn it exists.
    const read = async (reader?: Wallet | ReturnType<typeof Wallet.createRandom>) =>
      requestJson(`${service.url}/meters/M-1`, 'GET', undefined, reader ? { authorization: await signSession(reader, service.environment) } : {});
    for (const reader of [mpo, dsoWallet, service.operator]) {
      expect((await read(reader)).body).toMatchObject({ status: 'active', gridArea: GRID_AREA, versions: [{ groupId: 'BG-1', validTo: '2026-03-29T12:00:00.000Z' }, { groupId: 'BG-NEW', validTo: null }] });
    }
    expectProblemAnswer(await read(stranger), { status: 404, code: 'UNKNOWN_METER' });
    expectProblemAnswer(await read(), { status: 401, code: 'UNAUTHENTICATED' });

    const batch = await signedBatch(mpo, { intervals: [intervalJson('M-1', '2026-03-29T11:45:00Z', '10'), intervalJson('M-1', '2026-03-29T12:00:00Z', '20')] });
    const answer = await postJson(`${service.url}/readings`, batch);
    expect(answer.body).toMatchObject({ accepted: 2, groups: [{ groupId: 'BG-1', intervals: 1 }, { groupId: 'BG-NEW', intervals: 1 }] });
  });

  it('retires a meter; later values are refused as METER_RETIRED and the registry events are published', async () => {
    const retired = await requestJson(`${service.url}/meters/M-2`, 'DELETE', { effectiveAt: '2026-03-30T00:00:00Z' }, AS_OPERATOR);
    expect(retired).toMatchObject({ status: 200, body: { meterId: 'M-2', validTo: '2026-03-30T00:00:00.000Z' } });
    const again = await fetch(`${service.url}/meters/M-2?effectiveAt=2026-03-31T00:00:00Z`, { method: 'DELETE', headers: await signedHeaders(service.operator, 'DELETE', `${service.url}/meters/M-2?effectiveAt=2026-03-31T00:00:00Z`, '') });
    await expectProblem(again, { status: 409, code: 'METER_RETIRED' });
    const session = { authorization: await signSession(service.operator, service.environment) };
    expectProblemAnswer(await requestJson(`${service.url}/meters/NOPE`, 'GET', undefined, session), { status: 404, code: 'UNKNOWN_METER', field: 'meterId' });
    await expectProblem(await fetch(`${service.url}/no-such-route`), { status: 404, code: 'NOT_FOUND', field: '(path)' });

    const batch = await signedBatch(mpo, { intervals: [intervalJson('M-2', '2026-03-29T23:45:00Z', '1'), intervalJson('M-2', '2026-03-30T00:00:00Z', '1')] });
    const answer = await postJson(`${service.url}/readings`, batch);
    expect(answer.body).toMatchObject({ accepted: 1, rejections: [{ code: 'METER_RETIRED', meterId: 'M-2', field: 'intervals[1].periodId' }] });

    await service.running.outboxRelay?.flush();
    const messages = await meterStreamMessages(service);
    const registered = messages.filter((m) => m.subject === 'meter.points.registered');
    expect(registered).toHaveLength(2);
    expect(MeterPointsRegistered.parse(registered[0].data).data.points.map((p) => p.meterId)).toEqual(['M-1', 'M-2']);
    const changed = MeterPointsChanged.parse(messages.find((m) => m.subject === 'meter.points.changed')?.data);
    expect(changed.data).toMatchObject({ requestedBy: dso, points: [{ meterId: 'M-1', groupId: 'BG-NEW', validFrom: '2026-03-29T12:00:00.000Z' }] });
    const retiredEvent = MeterPointsRetired.parse(messages.find((m) => m.subject === 'meter.points.retired')?.data);
    expect(retiredEvent.data).toMatchObject({ requestedBy: service.operator.address, points: [{ meterId: 'M-2', validTo: '2026-03-30T00:00:00.000Z' }] });
  });

  it('publishes registrations and batches too large for one NATS message in parts', async () => {
    const meters = Array.from({ length: 2_500 }, (_, i) => meterJson(`BULK-${i}`, mpo.address, dso, { groupId: 'BG-BULK' }));
    expect(await postJson(`${service.url}/meters`, { meters }, AS_OPERATOR)).toMatchObject({ status: 201, body: { registered: 2_500 } });
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
    expect(measured.map((m) => [m.data.data.part, m.data.data.parts, measuredValueCount(MeterIntervalsMeasured.parse(m.data).data)])).toEqual([
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

  it('locks a bounded number of buckets however many meters one registration names (the shared lock table stays small)', async () => {
    // A transaction of the test holds the last bucket, so the registration waits there holding the buckets below it.
    const holder = service.running.dataSource.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    try {
      await holder.query(`SELECT pg_advisory_xact_lock(hashtext('meter-registry'), $1)`, [REGISTRY_LOCK_BUCKETS - 1]);
      const meters = Array.from({ length: 5_000 }, (_, i) => meterJson(`LOCKS-${i}`, mpo.address, dso, { groupId: 'BG-NEW' }));
      const registration = postJson(`${service.url}/meters`, { meters }, AS_OPERATOR);
      const advisory = async (granted: boolean) =>
        ((await holder.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted = $1 AND pid <> pg_backend_pid()`, [granted])) as { n: number }[])[0].n;
      await waitFor(async () => (await advisory(false)) === 1, { timeoutMs: 30_000, what: 'the registration waiting on the held bucket' });
      const held = await advisory(true);
      // 5,000 meters fall into nearly every bucket below the held one; a lock per meter would be 5,000.
      expect(held).toBeGreaterThan(REGISTRY_LOCK_BUCKETS / 2);
      expect(held).toBeLessThan(REGISTRY_LOCK_BUCKETS);
      await holder.commitTransaction();
      expect(await registration).toMatchObject({ status: 201, body: { registered: 5_000 } });
    } finally {
      if (holder.isTransactionActive) await holder.rollbackTransaction();
      await holder.release();
    }
  });
});
