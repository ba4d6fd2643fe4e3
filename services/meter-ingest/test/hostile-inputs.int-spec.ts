import fc from 'fast-check';
import { MSCONS_SAMPLE_PATH, expectProblemAnswer, hostileJsonBodies, problemShapeFaults, reportHostile, sampleHostile } from '@gridledger/testing';
import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import type { RequestSigner } from '@gridledger/auth';
import { intervalJson, meterJson, signedBatch } from './support/fixtures';
import { AS_OPERATOR, natsSignedHeaders, postJson, signedHeaders, startTestService, type TestService } from './support/test-service';

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

async function buildInputs(service: TestService): Promise<Hostile[]> {
  // Signed as they are sent (so they reach the parser behind the signature check), unless the case is about the signature.
  const sign = (signer: RequestSigner, path: string, body: Buffer) => signedHeaders(signer, 'POST', `${service.url}${path}`, body);
  const random = prng(20260329);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const valid = signedBatch(mpo, { intervals: [intervalJson('H-1', '2026-03-29T00:00:00Z', '10'), intervalJson('H-1', '2026-03-29T00:15:00Z', '11')] });
  const validText = JSON.stringify(valid);
  const wrongTypes: unknown[] = [
    null, 42, 'text', [], [valid], true, {}, { ...valid, mpo: 12 }, { ...valid, mpo: null }, { ...valid, mpo: '0x12' }, { ...valid, mpo: mpo.address.toLowerCase().replace('0x', '0X') },
    { ...valid, signature: 7 }, { ...valid, signature: null }, { ...valid, mpo: Wallet.createRandom().address }, { ...valid, intervals: 'x' }, { ...valid, intervals: {} }, { ...valid, intervals: [] },
    { ...valid, intervals: null }, { ...valid, readings: [] }, { ...valid, periodLength: 'PT5M' }, { ...valid, periodLength: 15 }, { ...valid, batchRef: 12 },
    { ...valid, batchRef: 'x'.repeat(500) }, { ...valid, extra: 1 }, JSON.parse(`{"__proto__":{"polluted":true},${validText.slice(1)}`), { mpo: mpo.address }, { signature: valid.signature },
  ];
  const hugeNumbers = ['1e400', '9'.repeat(400), '-1', '1.5', '0x10', ' 10', '10 ', '', 'NaN', 'Infinity', '１０', '1_000', String(2n ** 64n)];
  const inputs: Hostile[] = [];
  const readings = async (body: Buffer, what: string, headers: Record<string, string> = { 'content-type': 'application/json' }, signedAs: Buffer = body): Promise<Hostile> => ({
    path: '/readings',
    body,
    headers: { ...headers, ...(await sign(mpo, '/readings', signedAs)) },
    what,
  });

  for (let i = 0; i < 650; i += 1) {
    const kind = i % 8;
    if (kind === 0) inputs.push(await readings(json(pick(wrongTypes)), 'wrong types'));
    else if (kind === 1) inputs.push(await readings(Buffer.from(validText.slice(0, Math.floor(random() * (validText.length - 1)))), 'truncated JSON'));
    else if (kind === 2) {
      const bytes = Buffer.from(validText);
      const at = Math.floor(random() * bytes.length);
      inputs.push(await readings(Buffer.concat([bytes.subarray(0, at), Buffer.from([pick([0xff, 0xc3, 0xed, 0xf8, 0x80])]), bytes.subarray(at)]), 'broken UTF-8'));
    } else if (kind === 3) {
      // Unsigned change of a signed batch: huge, negative, fractional, typed numbers.
      const forged = { ...valid, intervals: [intervalJson('H-1', '2026-03-29T00:00:00Z', pick(hugeNumbers))] };
      inputs.push(await readings(json(forged), 'huge numbers without a valid signature', undefined, Buffer.from(validText)));
    } else if (kind === 4) {
      const depth = 5000 + Math.floor(random() * 5000);
      inputs.push(await readings(Buffer.from('['.repeat(depth) + ']'.repeat(depth)), 'deep nesting'));
    } else if (kind === 5) {
      inputs.push(await readings(Buffer.from(Array.from({ length: 64 + Math.floor(random() * 512) }, () => Math.floor(random() * 256))), 'random bytes', { 'content-type': pick(['application/json', 'text/plain', 'application/octet-stream']) }));
    } else if (kind === 6) {
      inputs.push(i % 16 === 6 ? { path: '/readings', body: Buffer.from(validText), headers: { 'content-type': 'application/json' }, what: 'unsigned batch' } : await readings(Buffer.alloc(0), 'empty body'));
    } else {
      inputs.push(await readings(Buffer.alloc(MAX_BODY + 1 + Math.floor(random() * 1000), 0x20), 'oversize body'));
    }
  }
  const wholeFile = await sign(mpo, '/mscons', SAMPLE);
  for (let i = 0; i < 250; i += 1) {
    const kind = i % 5;
    const cut = Buffer.from(SAMPLE.subarray(0, 100 + Math.floor(random() * (SAMPLE.length - 200))));
    if (kind === 0) inputs.push({ path: '/mscons', body: cut, headers: await sign(mpo, '/mscons', cut), what: 'truncated EDIFACT, signed' });
    else if (kind === 1) inputs.push({ path: '/mscons', body: cut, headers: wholeFile, what: 'truncated EDIFACT, signature of the whole file' });
    else if (kind === 2) inputs.push({ path: '/mscons', body: SAMPLE, headers: { ...wholeFile, 'x-gl-signer': pick(['', 'nobody', '0x0', mpo.address.toLowerCase() + 'ff']) }, what: 'bad signer header' });
    else if (kind === 3) {
      const mangled = Buffer.from(SAMPLE);
      for (let k = 0; k < 20; k += 1) mangled[Math.floor(random() * mangled.length)] = Math.floor(random() * 256);
      inputs.push({ path: '/mscons', body: mangled, headers: await sign(mpo, '/mscons', mangled), what: 'mangled EDIFACT bytes, signed' });
    } else {
      const path = `/mscons?periodLength=${pick(['PT1M', 'P1D', '15'])}`;
      inputs.push({ path, body: SAMPLE, headers: await sign(mpo, path, SAMPLE), what: 'bad period length, signed' });
    }
  }
  for (let i = 0; i < 100; i += 1) {
    const kind = i % 4;
    const ct = { 'content-type': 'application/json' };
    const asOperator = async (body: Buffer) => ({ ...ct, ...(await sign(service.operator, '/meters', body)) });
    const truncated = Buffer.from('{"meters":[{"meterId":');
    const huge = json({ meters: [meterJson('X-1', mpo.address, mpo.address, { connectionLimitW: pick(hugeNumbers) })] });
    const dates = json({ meters: [{ ...meterJson('X-2', mpo.address, mpo.address), validFrom: pick(['2026-02-30T00:00:00Z', 'yesterday', '2026-03-29T00:07:00Z', 12]) }] });
    if (kind === 0) inputs.push({ path: '/meters', body: truncated, headers: await asOperator(truncated), what: 'truncated registry JSON' });
    else if (kind === 1) inputs.push({ path: '/meters', body: huge, headers: await asOperator(huge), what: 'registry huge numbers' });
    else if (kind === 2) inputs.push({ path: '/meters', body: dates, headers: await asOperator(dates), what: 'registry bad dates' });
    else {
      const body = json({ meters: [meterJson(`X-${i}`, mpo.address, mpo.address)] });
      // Without credentials, or signed by the MPO itself (no self-registration).
      inputs.push({ path: '/meters', body, headers: i % 8 === 3 ? ct : { ...ct, ...(await sign(mpo, '/meters', body)) }, what: 'registry without the DSO or operator role' });
    }
  }
  return inputs;
}

describe('1,000 malformed and hostile inputs', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ METER_INGEST_MAX_BODY_BYTES: String(MAX_BODY) });
    await service.grant('MPO', ['BG-1'], mpo.address);
    await postJson(`${service.url}/meters`, { meters: [meterJson('H-1', mpo.address, mpo.address)] }, AS_OPERATOR);
  });
  afterAll(() => service.stop());

  it('answers each with a clear 4xx, never crashes and writes nothing', async () => {
    // 1,000 requests one after another: a few seconds.
    const inputs = await buildInputs(service);
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
    expect([...statuses.keys()].every((status) => [400, 401, 403, 413, 422].includes(status))).toBe(true);
  }, 400_000);

  it('answers 1,000 generated hostile NATS submissions with a 4xx reply as well, writing nothing', async () => {
    const subject = `${service.namespace}.rpc.meter.readings.submit`;
    const valid = signedBatch(mpo, { intervals: [intervalJson('H-1', '2026-03-29T00:00:00Z', '10')] });
    const cases = sampleHostile(
      hostileJsonBodies({
        valid,
        hostileValues: {
          mpo: fc.constantFrom('0x12', '', Wallet.createRandom().address, mpo.address.toLowerCase().replace('0x', '0X')),
          intervals: fc.constantFrom([], 'x', [intervalJson('H-1', '2026-03-29T00:00:00Z', '1e400')], [intervalJson('H-1', 'yesterday', '1')], [intervalJson('H-1', '2026-03-29T00:00:00Z', '-5')]),
        },
        // `mpo` may be left out (the signer is the MPO); a value for an unknown meter is a per-value rejection of a recorded batch, not a hostile request.
        required: ['intervals'],
        oversizeBytes: MAX_BODY,
      }),
      1000,
      20261216,
    );
    const before = await rowCounts(service);
    const failures: string[] = [];
    for (const [i, hostile] of cases.entries()) {
      // Most are signed by the MPO (so they reach the parser behind the signature check); every fifth is unsigned.
      const headers = i % 5 === 4 ? undefined : await natsSignedHeaders(mpo, 'meter.readings.submit', hostile.body.toString('latin1'));
      let reply: { statusCode?: number } & Record<string, unknown>;
      try {
        reply = (await service.nc.request(subject, hostile.body, { timeout: 10_000, headers })).json();
      } catch (error) {
        failures.push(`${hostile.what}: no reply (${error instanceof Error ? error.message : String(error)})`);
        continue;
      }
      const status = Number(reply.statusCode);
      // The same problem details as over HTTP, plus statusCode; an oversize message is refused by the NATS server itself (max payload).
      if (!(status >= 400 && status < 500) || problemShapeFaults({ status, contentType: null, body: reply }).length > 0) failures.push(`${hostile.what}: ${JSON.stringify(reply).slice(0, 300)}`);
    }
    reportHostile({ suite: 'meter-ingest request meter.readings.submit', tried: cases.length, refused: cases.length - failures.length, crashed: failures.length, failures, statuses: {} });
    expect(failures).toEqual([]);
    expect(await rowCounts(service)).toEqual(before);
  }, 400_000);

  it('refuses a signed batch whose every value is unreadable, naming each, and stores nothing', async () => {
    const hostileValues = ['1e400', '9'.repeat(40), '-1', '1.5', 12, null, { n: 1 }];
    const batch = signedBatch(mpo, { intervals: hostileValues.map((energyWh, i) => ({ meterId: 'H-1', periodId: `2026-03-29T0${i}:00:00Z`, energyWh })) });
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
