import { Wallet } from 'ethers';
import { MeterIntervalsMeasured, MeterReadingsRejected } from '@gridledger/events';
import { expectProblemAnswer, waitFor } from '@gridledger/testing';
import { intervalJson, meterJson, signedBatch } from './support/fixtures';
import { AS_OPERATOR, meterStreamMessages, natsSignedHeaders, postJson, signedHeaders, startTestService, type TestService } from './support/test-service';

const mpo = Wallet.createRandom();
const otherMpo = Wallet.createRandom();
const dso = Wallet.createRandom().address;
const operator = AS_OPERATOR;

describe('meter-ingest over HTTP and NATS', () => {
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
    await service.grant('MPO', ['BG-A', 'BG-B'], mpo.address);
    await service.grant('MPO', ['BG-1'], otherMpo.address);
    const registered = await postJson(`${service.url}/meters`, {
      meters: [
        meterJson('PV-1', mpo.address, dso, { groupId: 'BG-A', connectionLimitW: '4000' }),
        meterJson('HH-1', mpo.address, dso, { direction: 'consumption', groupId: 'BG-B' }),
        meterJson('FOREIGN-1', otherMpo.address, dso),
      ],
    }, operator);
    expect(registered).toMatchObject({ status: 201, body: { registered: 3, unchanged: 0 } });
  });
  afterAll(() => service.stop());

  it('settles the good values of a batch, reports each bad one, and publishes per group', async () => {
    const body = await signedBatch(mpo, {
      intervals: [
        intervalJson('PV-1', '2026-03-29T10:00:00Z', '950'),
        intervalJson('PV-1', '2026-03-29T10:15:00Z', '1001'),
        intervalJson('HH-1', '2026-03-29T10:00:00Z', '300', 'estimated'),
        intervalJson('GHOST', '2026-03-29T10:00:00Z', '1'),
        intervalJson('HH-1', '2099-01-01T00:00:00Z', '1'),
        intervalJson('HH-1', '2026-03-29T10:30:00Z', '1.5'),
        intervalJson('HH-1', '2026-03-28T23:45:00Z', '5'),
        intervalJson('HH-1', '2026-03-29T10:07:00Z', '5'),
      ],
    });
    const response = await postJson(`${service.url}/readings`, body);
    expect(response.status).toBe(200);
    expect(response.headers.get('idempotent-replayed')).toBe('false');
    expect(response.body).toMatchObject({ status: 'partially-accepted', accepted: 2, rejected: 6 });
    const codes = (response.body.rejections as { code: string; field: string }[]).map((r) => `${r.code}@${r.field}`).sort();
    expect(codes).toEqual([
      'ABOVE_CONNECTION_LIMIT@intervals[1].energyWh',
      'MALFORMED_NUMBER@intervals[5].energyWh',
      'MALFORMED_TIMESTAMP@intervals[7].periodId',
      'OUTSIDE_VALIDITY@intervals[6].periodId',
      'TIMESTAMP_IN_FUTURE@intervals[4].periodId',
      'UNKNOWN_METER@intervals[3].meterId',
    ]);

    const messages = await waitFor(async () => {
      const all = await meterStreamMessages(service);
      return all.filter((m) => !m.subject.startsWith('meter.points')).length === 3 ? all : null;
    });
    const measured = messages.filter((m) => m.subject.startsWith('meter.intervals.measured'));
    expect(measured.map((m) => m.subject)).toEqual(['meter.intervals.measured.BG-A', 'meter.intervals.measured.BG-B']);
    expect(measured[0].data.data).toMatchObject({ groupId: 'BG-A', series: [{ periodId: '2026-03-29T10:00:00Z', direction: 'production', quality: 'measured', meterIds: ['PV-1'], energyWh: ['950'] }] });
    expect(measured[0].msgId).toBe(`meter-ingest:${measured[0].data.id}`);
    // Built on the hot path without zod: the wire must still match the contract's schemas.
    for (const message of measured) expect(() => MeterIntervalsMeasured.parse(message.data)).not.toThrow();
    const rejected = messages.find((m) => m.subject === 'meter.readings.rejected');
    expect((rejected?.data.data.reasons as unknown[]).length).toBe(6);
    expect(() => MeterReadingsRejected.parse(rejected?.data)).not.toThrow();

    // The same batch again: same answer, nothing new stored or published.
    const again = await postJson(`${service.url}/readings`, body);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(response.text);
    await service.running.outboxRelay?.flush();
    expect((await meterStreamMessages(service)).length).toBe(messages.length);
  });

  it('refuses a forged signature with 401 and a signature of the wrong MPO with 403, writing nothing', async () => {
    const [{ n: before }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM raw_batches`);
    const honest = JSON.stringify({ intervals: [intervalJson('PV-1', '2026-03-29T11:00:00Z', '10')] });
    const forged = JSON.stringify({ intervals: [intervalJson('PV-1', '2026-03-29T11:00:00Z', '999')] });
    const forgedAnswer = await postJson(`${service.url}/readings`, forged, await signedHeaders(mpo, 'POST', `${service.url}/readings`, honest));
    expectProblemAnswer(forgedAnswer, { status: 401, code: 'BAD_SIGNATURE', field: 'x-gl-signature' });
    const unsigned = await postJson(`${service.url}/readings`, honest);
    expectProblemAnswer(unsigned, { status: 401, code: 'UNAUTHENTICATED', field: 'x-gl-signer' });

    const impostor = await signedBatch(otherMpo, { intervals: [intervalJson('PV-1', '2026-03-29T11:00:00Z', '10')] });
    const wrongMpo = await postJson(`${service.url}/readings`, impostor);
    const foreign = expectProblemAnswer(wrongMpo, { status: 403, code: 'NOT_OPERATED_BY_MPO', field: 'meterId' });
    // The refusal, then each refused value.
    expect(foreign.errors.slice(1)).toEqual([{ field: expect.stringMatching(/^intervals\[0\]/), code: 'NOT_OPERATED_BY_MPO', reason: expect.stringContaining('PV-1') }]);
    const [{ n: after }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM raw_batches`);
    expect(after).toBe(before);
  });

  it('answers the NATS submit subject like HTTP and dedupes a re-sent batch', async () => {
    const body = await signedBatch(mpo, { intervals: [intervalJson('PV-1', '2026-03-29T12:00:00Z', '500')] });
    const subject = `${service.namespace}.rpc.meter.readings.submit`;
    const text = JSON.stringify(body);
    const send = async (payload: string, signedAs = payload) =>
      (await service.nc.request(subject, Buffer.from(payload), { timeout: 10_000, headers: await natsSignedHeaders(mpo, 'meter.readings.submit', signedAs) })).json<Record<string, unknown>>();
    const first = await send(text);
    expect(first).toMatchObject({ statusCode: 200, replayed: false, accepted: 1, status: 'accepted' });
    const second = await send(text);
    expect(second).toMatchObject({ statusCode: 200, replayed: true, batchId: first.batchId });
    expect(await send(text.replace('500', '501'), text)).toMatchObject({ statusCode: 401, code: 'BAD_SIGNATURE' });
    const unsigned = (await service.nc.request(subject, Buffer.from(text), { timeout: 10_000 })).json<Record<string, unknown>>();
    expect(unsigned).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
    const bad = await send('{"mpo":');
    expect(bad.statusCode).toBe(400);
    expectProblemAnswer({ status: 400, contentType: null, body: bad }, { status: 400, code: 'MALFORMED_BODY' });
    await service.running.outboxRelay?.flush();
    const measured = (await meterStreamMessages(service)).filter((m) => (m.data.data as { batchId?: string }).batchId === first.batchId);
    expect(measured).toHaveLength(1);
  });

  it('answers concurrent copies of one batch alike and stores and publishes it once', async () => {
    const body = await signedBatch(mpo, { intervals: [intervalJson('PV-1', '2026-03-29T13:00:00Z', '42'), intervalJson('HH-1', '2026-03-29T13:00:00Z', '43')] });
    const answers = await Promise.all(Array.from({ length: 6 }, () => postJson(`${service.url}/readings`, body)));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === 'false')).toHaveLength(1);
    for (const answer of answers) expect(answer.body).toEqual(answers[0].body);
    const [{ n }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM raw_batches WHERE batch_id = $1`, [answers[0].body.batchId]);
    expect(n).toBe(1);
    await service.running.outboxRelay?.flush();
    const published = (await meterStreamMessages(service)).filter((m) => (m.data.data as { batchId?: string }).batchId === answers[0].body.batchId);
    expect(published.map((m) => m.subject).sort()).toEqual(['meter.intervals.measured.BG-A', 'meter.intervals.measured.BG-B']);
  });
});
