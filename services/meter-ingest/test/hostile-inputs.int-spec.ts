import { MSCONS_SAMPLE_PATH, expectProblemAnswer, problemShapeFaults } from '@gridledger/testing';
import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { fileDigest, signBatchDigest } from '@gridledger/metering';
import { intervalJson, meterJson, signedBatch } from './support/fixtures';
import { OPERATOR_TOKEN, postJson, startTestService, type TestService } from './support/test-service';

const SAMPLE = readFileSync(MSCONS_SAMPLE_PATH);
const MAX_BODY = 256 * 1024;
const mpo = Wallet.createRandom();

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Hostile {
  readonly path: string;
  readonly body: Buffer;
  readonly headers: Record<string, string>;
  readonly what: string;
}

const TABLES = ['raw_batches', 'intervals', 'outbox', 'meter_points', 'registry_events', 'register_readings', 'register_series'];

async function rowCounts(service: TestService): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = (await service.running.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
  return counts;
}

async function buildInputs(): Promise<Hostile[]> {
  const random = prng(20260329);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const valid = await signedBatch(mpo, { intervals: [intervalJson('H-1', '2026-03-29T00:00:00Z', '10'), intervalJson('H-1', '2026-03-29T00:15:00Z', '11')] });
  const validText = JSON.stringify(valid);
  const wrongTypes: unknown[] = [
    null, 42, 'text', [], [valid], true, {}, { ...valid, mpo: 12 }, { ...valid, mpo: null }, { ...valid, mpo: '0x12' }, { ...valid, mpo: mpo.address.toLowerCase().replace('0x', '0X') },
    { ...valid, signature: 7 }, { ...valid, signature: null }, { ...valid, intervals: 'x' }, { ...valid, intervals: {} }, { ...valid, intervals: [] },
    { ...valid, intervals: null }, { ...valid, readings: [] }, { ...valid, periodLength: 'PT5M' }, { ...valid, periodLength: 15 }, { ...valid, batchRef: 12 },
    { ...valid, batchRef: 'x'.repeat(500) }, { ...valid, extra: 1 }, JSON.parse(`{"__proto__":{"polluted":true},${validText.slice(1)}`), { mpo: mpo.address }, { signature: valid.signature },
  ];
  const hugeNumbers = ['1e400', '9'.repeat(400), '-1', '1.5', '0x10', ' 10', '10 ', '', 'NaN', 'Infinity', '１０', '1_000', String(2n ** 64n)];
  const inputs: Hostile[] = [];
  const readings = (body: Buffer, what: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Hostile => ({ path: '/readings', body, headers, what });

  for (let i = 0; i < 650; i += 1) {
    const kind = i % 8;
    if (kind === 0) inputs.push(readings(json(pick(wrongTypes)), 'wrong types'));
    else if (kind === 1) inputs.push(readings(Buffer.from(validText.slice(0, Math.floor(random() * (validText.length - 1)))), 'truncated JSON'));
    else if (kind === 2) {
      const bytes = Buffer.from(validText);
      const at = Math.floor(random() * bytes.length);
      inputs.push(readings(Buffer.concat([bytes.subarray(0, at), Buffer.from([pick([0xff, 0xc3, 0xed, 0xf8, 0x80])]), bytes.subarray(at)]), 'broken UTF-8'));
    } else if (kind === 3) {
      // Unsigned change of a signed batch: huge, negative, fractional, typed numbers.
      const forged = { ...valid, intervals: [intervalJson('H-1', '2026-03-29T00:00:00Z', pick(hugeNumbers))] };
      inputs.push(readings(json(forged), 'huge numbers without a valid signature'));
    } else if (kind === 4) {
      const depth = 5000 + Math.floor(random() * 5000);
      inputs.push(readings(Buffer.from('['.repeat(depth) + ']'.repeat(depth)), 'deep nesting'));
    } else if (kind === 5) {
      inputs.push(readings(Buffer.from(Array.from({ length: 64 + Math.floor(random() * 512) }, () => Math.floor(random() * 256))), 'random bytes', { 'content-type': pick(['application/json', 'text/plain', 'application/octet-stream']) }));
    } else if (kind === 6) {
      inputs.push(readings(Buffer.alloc(0), 'empty body'));
    } else {
      inputs.push(readings(Buffer.alloc(MAX_BODY + 1 + Math.floor(random() * 1000), 0x20), 'oversize body'));
    }
  }
  const signature = await signBatchDigest(mpo, 'mscons', fileDigest(SAMPLE));
  for (let i = 0; i < 250; i += 1) {
    const kind = i % 5;
    const cut = Buffer.from(SAMPLE.subarray(0, 100 + Math.floor(random() * (SAMPLE.length - 200))));
    if (kind === 0) inputs.push({ path: '/mscons', body: cut, headers: { 'x-mpo-address': mpo.address, 'x-mpo-signature': await signBatchDigest(mpo, 'mscons', fileDigest(cut)) }, what: 'truncated EDIFACT, signed' });
    else if (kind === 1) inputs.push({ path: '/mscons', body: cut, headers: { 'x-mpo-address': mpo.address, 'x-mpo-signature': signature }, what: 'truncated EDIFACT, signature of the whole file' });
    else if (kind === 2) inputs.push({ path: '/mscons', body: SAMPLE, headers: { 'x-mpo-address': pick(['', 'nobody', '0x0', mpo.address.toLowerCase() + 'ff']), 'x-mpo-signature': signature }, what: 'bad MPO header' });
    else if (kind === 3) {
      const mangled = Buffer.from(SAMPLE);
      for (let k = 0; k < 20; k += 1) mangled[Math.floor(random() * mangled.length)] = Math.floor(random() * 256);
      inputs.push({ path: '/mscons', body: mangled, headers: { 'x-mpo-address': mpo.address, 'x-mpo-signature': await signBatchDigest(mpo, 'mscons', fileDigest(mangled)) }, what: 'mangled EDIFACT bytes, signed' });
    } else inputs.push({ path: '/mscons', body: SAMPLE, headers: { 'x-mpo-address': mpo.address, 'x-mpo-signature': signature, 'x-period-length': pick(['PT1M', 'P1D', '15']) }, what: 'bad period length' });
  }
  for (let i = 0; i < 100; i += 1) {
    const kind = i % 4;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` };
    if (kind === 0) inputs.push({ path: '/meters', body: Buffer.from('{"meters":[{"meterId":'), headers, what: 'truncated registry JSON' });
    else if (kind === 1) inputs.push({ path: '/meters', body: json({ meters: [meterJson('X-1', mpo.address, mpo.address, { connectionLimitW: pick(hugeNumbers) })] }), headers, what: 'registry huge numbers' });
    else if (kind === 2) inputs.push({ path: '/meters', body: json({ meters: [{ ...meterJson('X-2', mpo.address, mpo.address), validFrom: pick(['2026-02-30T00:00:00Z', 'yesterday', '2026-03-29T00:07:00Z', 12]) }] }), headers, what: 'registry bad dates' });
    else inputs.push({ path: '/meters', body: json(pick(wrongTypes)), headers: { 'content-type': 'application/json' }, what: 'registry without credentials' });
  }
  return inputs;
}

describe('1,000 malformed and hostile inputs', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ METER_INGEST_MAX_BODY_BYTES: String(MAX_BODY) });
    await postJson(`${service.url}/meters`, { meters: [meterJson('H-1', mpo.address, mpo.address)] }, { authorization: `Bearer ${OPERATOR_TOKEN}` });
  });
  afterAll(() => service.stop());

  it('answers each with a clear 4xx, never crashes and writes nothing', async () => {
    // 1,000 requests one after another: a few seconds.
    const inputs = await buildInputs();
    expect(inputs).toHaveLength(1000);
    const before = await rowCounts(service);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (const input of inputs) {
      const response = await fetch(service.url + input.path, { method: 'POST', headers: input.headers, body: input.body });
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        failures.push(`${input.what}: non-JSON answer ${response.status} ${text.slice(0, 80)}`);
        continue;
      }
      // Every answer is problem details: type, title, status, detail, code and errors naming the field.
      const faults = problemShapeFaults({ status: response.status, contentType: response.headers.get('content-type'), body });
      if (response.status < 400 || response.status >= 500 || faults.length > 0) failures.push(`${input.what}: ${response.status} ${faults.join(', ')} ${text.slice(0, 400)}`);
    }
    expect(failures).toEqual([]);
    expect(await rowCounts(service)).toEqual(before);
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
    expect([...statuses.keys()].every((status) => [400, 401, 403, 413].includes(status))).toBe(true);
  }, 120_000);

  it('answers hostile NATS submissions with a 4xx reply as well', async () => {
    const subject = `${service.namespace}.rpc.meter.readings.submit`;
    for (const payload of ['', '{', '[]', 'null', '{"mpo":1}', '\u00ff\u00fe', JSON.stringify({ mpo: mpo.address, signature: '0x00', intervals: [intervalJson('H-1', '2026-03-29T00:00:00Z', '1')] })]) {
      const reply = (await service.nc.request(subject, Buffer.from(payload, 'latin1'), { timeout: 10_000 })).json<{ statusCode: number }>();
      expect(reply.statusCode).toBeGreaterThanOrEqual(400);
      expect(reply.statusCode).toBeLessThan(500);
      // The same problem details as over HTTP, plus statusCode.
      expect(problemShapeFaults({ status: reply.statusCode, contentType: null, body: reply })).toEqual([]);
    }
  });

  it('refuses a signed batch whose every value is unreadable, naming each, and stores nothing', async () => {
    const hostileValues = ['1e400', '9'.repeat(40), '-1', '1.5', 12, null, { n: 1 }];
    const batch = await signedBatch(mpo, { intervals: hostileValues.map((energyWh, i) => ({ meterId: 'H-1', periodId: `2026-03-29T0${i}:00:00Z`, energyWh })) });
    const answer = await postJson(`${service.url}/readings`, batch);
    const problem = expectProblemAnswer(answer, { status: 400, code: 'NO_USABLE_VALUE', field: '(body)' });
    // The refusal, then each value that made it so.
    const values = problem.errors.slice(1);
    expect(values).toHaveLength(hostileValues.length);
    for (const item of values) expect(item).toMatchObject({ code: 'MALFORMED_NUMBER', field: expect.stringMatching(/^intervals\[\d\]\.energyWh$/) });
    const [{ n }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM raw_batches`);
    expect(n).toBe(0);
  });
});
