import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { bodySha256, signRequest } from '@gridledger/auth';
import { MSCONS_SAMPLE_PATH, expectProblem, sessionHeaders } from '@gridledger/testing';
import { intervalJson, meterJson } from './support/fixtures';
import { AS_OPERATOR, natsSignedHeaders, postJson, startTestService, type TestService } from './support/test-service';

/**
 * One test per `signed` and `session` row of meter-ingest in docs/authorization.md: a request
 * without credentials gets 401, one by a key without the role 403 (a session of a stranger
 * gets 404, the answer for an unknown meter, so it learns nothing), and nothing is written.
 * The `ops` and `nats` rows are enforced by the NATS server's permissions
 * (libs/messaging/test/nats-access.int-spec.ts).
 */
const TABLES = ['raw_batches', 'intervals', 'outbox', 'meter_points', 'registry_events'];
const SAMPLE = readFileSync(MSCONS_SAMPLE_PATH);
const MSCONS_METER = 'US0001062600000001000000022345671';

describe('meter-ingest: who may call what (docs/authorization.md)', () => {
  const mpo = Wallet.createRandom();
  const stranger = Wallet.createRandom();
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
    await service.grant('MPO', ['BG-1'], mpo.address);
    const meters = [meterJson('H-1', mpo.address, mpo.address), meterJson(MSCONS_METER, mpo.address, mpo.address, { validFrom: '2015-01-01T00:00:00Z', connectionLimitW: '100000' })];
    expect((await postJson(`${service.url}/meters`, { meters }, AS_OPERATOR)).status).toBe(201);
  }, 120_000);

  afterAll(() => service?.stop());

  async function counts(): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const table of TABLES) result[table] = (await service.running.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    return result;
  }

  const rows: { row: string; method: string; path: string; body: Buffer; batch?: boolean }[] = [
    { row: 'POST /meters', method: 'POST', path: '/meters', body: Buffer.from(JSON.stringify({ meters: [meterJson('H-2', mpo.address, mpo.address)] })) },
    { row: 'PATCH /meters/{meterId}', method: 'PATCH', path: '/meters/H-1', body: Buffer.from(JSON.stringify({ effectiveFrom: '2030-01-01T00:00:00Z', supplier: 'SUP-2' })) },
    { row: 'DELETE /meters/{meterId}', method: 'DELETE', path: '/meters/H-1', body: Buffer.from(JSON.stringify({ effectiveAt: '2030-01-01T00:00:00Z' })) },
    { row: 'POST /readings', method: 'POST', path: '/readings', body: Buffer.from(JSON.stringify({ mpo: mpo.address, intervals: [intervalJson('H-1', '2026-03-29T00:00:00Z', '10')] })), batch: true },
    { row: 'POST /mscons', method: 'POST', path: '/mscons?periodLength=PT15M', body: SAMPLE, batch: true },
  ];

  it.each(rows)('$row: 401 without a signature, 403 signed by a key without the role, nothing written', async ({ method, path, body, batch }) => {
    const before = await counts();
    const unsigned = await fetch(service.url + path, { method, headers: { 'content-type': 'application/json' }, body });
    await expectProblem(unsigned, { status: 401 });
    // The stranger holds no role; for the registry rows the meter's own MPO is a key without the role too.
    for (const signer of batch ? [stranger] : [stranger, mpo]) {
      const headers = await signRequest(signer, service.environment, { method, path, body }, batch ? { nonce: bodySha256(body) } : {});
      await expectProblem(await fetch(service.url + path, { method, headers: { 'content-type': 'application/json', ...headers }, body }), { status: 403 });
    }
    expect(await counts()).toEqual(before);
  });

  it('request meter.readings.submit: 401 unsigned, 403 signed by a key without the MPO role, nothing written', async () => {
    const before = await counts();
    const subject = `${service.namespace}.rpc.meter.readings.submit`;
    const text = JSON.stringify({ mpo: stranger.address, intervals: [intervalJson('H-1', '2026-03-29T00:00:00Z', '10')] });
    expect((await service.nc.request(subject, Buffer.from(text), { timeout: 10_000 })).json()).toMatchObject({ statusCode: 401 });
    const signed = await service.nc.request(subject, Buffer.from(text), { timeout: 10_000, headers: await natsSignedHeaders(stranger, 'meter.readings.submit', text) });
    expect(signed.json()).toMatchObject({ statusCode: 403 });
    expect(await counts()).toEqual(before);
  });

  it('GET /meters/{meterId}: 401 without a session, 404 in a stranger\'s session (as for an unknown meter), 200 in its MPO\'s', async () => {
    await expectProblem(await fetch(`${service.url}/meters/H-1`), { status: 401 });
    await expectProblem(await fetch(`${service.url}/meters/H-1`, { headers: await sessionHeaders(stranger, service.environment) }), { status: 404, code: 'UNKNOWN_METER' });
    expect((await fetch(`${service.url}/meters/H-1`, { headers: await sessionHeaders(mpo, service.environment) })).status).toBe(200);
  });
});
