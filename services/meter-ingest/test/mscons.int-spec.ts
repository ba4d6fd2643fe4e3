import { MSCONS_SAMPLE_PATH, expectProblem, expectProblemAnswer } from '@gridledger/testing';
import { MeterIntervalsMeasured, measuredValuesOf } from '@gridledger/events';
import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { bodySha256, type RequestSigner } from '@gridledger/auth';
import { meterJson } from './support/fixtures';
import { AS_OPERATOR, meterStreamMessages, postJson, signedHeaders, startTestService, type TestService } from './support/test-service';

const SAMPLE = MSCONS_SAMPLE_PATH;
const METER = 'US0001062600000001000000022345671';
const mpo = Wallet.createRandom();

async function upload(service: TestService, raw: Buffer, signer: RequestSigner, headers: Record<string, string> = {}) {
  const response = await fetch(`${service.url}/mscons`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', ...(await signedHeaders(signer, 'POST', `${service.url}/mscons`, raw)), ...headers },
    body: raw,
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

describe('MSCONS upload and CLI import', () => {
  let service: TestService;
  const raw = readFileSync(SAMPLE);

  beforeAll(async () => {
    service = await startTestService();
    await service.grant('MPO', ['BG-1'], mpo.address);
    const registered = await postJson(
      `${service.url}/meters`,
      { meters: [meterJson(METER, mpo.address, Wallet.createRandom().address, { validFrom: '2015-01-01T00:00:00Z', connectionLimitW: '100000' })] },
      AS_OPERATOR,
    );
    expect(registered.status).toBe(201);
  });
  afterAll(() => service.stop());

  it('imports the real sample to its exact Wh total, reporting every quarantined value', async () => {
    const first = await upload(service, raw, mpo);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'partially-accepted', accepted: 2968, duplicates: 0, rejected: 8, batchId: bodySha256(raw) });
    expect((first.body.notes as string[]).filter((n) => n.startsWith('realigned'))).toHaveLength(68);
    const [{ total, n }] = await service.running.dataSource.query(`SELECT sum(energy_wh)::text AS total, count(*)::int AS n FROM intervals WHERE meter_id = $1`, [METER]);
    expect({ total, n }).toEqual({ total: '676577', n: 2968 });
    // Accepted plus quarantined energy is the file's whole QTY sum: nothing lost silently.
    const quarantinedWh = (first.body.rejections as { value: string }[]).reduce((sum, r) => sum + BigInt(r.value.split(' ')[0]), 0n);
    expect(676_577n + quarantinedWh).toBe(680_282n);

    await service.running.outboxRelay?.flush();
    const measured = (await meterStreamMessages(service)).filter((m) => m.subject === 'meter.intervals.measured.BG-1');
    expect(measured).toHaveLength(1);
    const values = [...measuredValuesOf(MeterIntervalsMeasured.parse(measured[0].data).data)];
    expect(values.reduce((sum, v) => sum + BigInt(v.energyWh), 0n)).toBe(676_577n);
  });

  it('takes the same file twice as one batch: the batch id is the SHA-256 of its bytes and the nonce', async () => {
    const again = await upload(service, raw, mpo);
    expect(again).toMatchObject({ status: 200, replayed: 'true', body: { accepted: 2968, batchId: bodySha256(raw) } });
    const [{ n }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM raw_batches`);
    expect(n).toBe(1);
  });

  it('signs the period length with the path: another period length than signed, or the old header, is refused', async () => {
    const signedFor15 = await signedHeaders(mpo, 'POST', `${service.url}/mscons?periodLength=PT15M`, raw);
    const swapped = await fetch(`${service.url}/mscons?periodLength=PT60M`, { method: 'POST', headers: { 'content-type': 'text/plain', ...signedFor15 }, body: raw });
    await expectProblem(swapped, { status: 401, code: 'BAD_SIGNATURE' });
    const header = await upload(service, raw, mpo, { 'x-period-length': 'PT60M' });
    expectProblemAnswer(header, { status: 400, code: 'UNSIGNED_HEADER', field: 'x-period-length' });
  });

  it('refuses an unsigned, a forged and a truncated upload with 4xx, writing nothing', async () => {
    const unsigned = await fetch(`${service.url}/mscons`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: raw });
    await expectProblem(unsigned, { status: 401 });
    // A key that holds no MPO role for the meter's group, signing as itself: refused, nothing written.
    expectProblemAnswer(await upload(service, raw, Wallet.createRandom()), { status: 403, code: 'NOT_OPERATED_BY_MPO' });
    const truncated = expectProblemAnswer(await upload(service, raw.subarray(0, 5000), mpo), { status: 400 });
    expect(truncated.code).toMatch(/^MSCONS_/);
    const [{ n }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM raw_batches`);
    expect(n).toBe(1);
  });
});
