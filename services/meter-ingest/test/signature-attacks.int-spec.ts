import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { bodySha256 } from '@gridledger/auth';
import { MSCONS_SAMPLE_PATH, expectedStatuses, reportHostile, sendSignatureAttacks, signatureAttacks, type HostileTally, type SignatureAttackSpec } from '@gridledger/testing';
import { GRID_AREA, intervalJson, meterJson } from './support/fixtures';
import { AS_OPERATOR, postJson, startTestService, type TestService } from './support/test-service';

/**
 * 1,000 generated requests per write endpoint whose signature must not pass (issue 11's
 * hostile suite, the signature half; the body half is hostile-inputs.int-spec.ts), from the
 * shared `signatureAttacks`: a key without the role (a stranger, the MPO of another group, the
 * meter's own MPO writing the registry), no or a malformed signature, a forged signer header, a
 * tampered body, a signature for another chain or verifying contract, expired or too far
 * ahead, and for the registry a replayed nonce. A batch's nonce is its body digest, so a batch sent again is
 * answered with its stored result (idempotent, docs/trust.md), not refused as a replay: the
 * batch endpoints get no replay variant. Each answer is 401 or 403 naming the reason; no row is
 * written anywhere.
 */
const PER_TARGET = Number(process.env.TEST_HOSTILE_COUNT ?? 1000);
// used_nonces is left out: a valid signature spends its nonce before the role is checked (bookkeeping that expires, not data).
const TABLES = ['raw_batches', 'intervals', 'outbox', 'meter_points', 'registry_events', 'register_readings', 'register_series'];
const SAMPLE = readFileSync(MSCONS_SAMPLE_PATH);
const MSCONS_METER = 'US0001062600000001000000022345671';

describe('meter-ingest: 1,000 signature attacks per write endpoint', () => {
  const mpo = Wallet.createRandom();
  const otherMpo = Wallet.createRandom();
  let service: TestService;
  const tallies: HostileTally[] = [];

  beforeAll(async () => {
    service = await startTestService();
    await service.grant('MPO', ['BG-1'], mpo.address);
    await service.grant('MPO', ['BG-2'], otherMpo.address);
    // H-1 for the JSON batches, the sample file's meter for MSCONS: both the MPO's, so another MPO's signature is refused as not theirs.
    const meters = [meterJson('H-1', mpo.address, mpo.address), meterJson(MSCONS_METER, mpo.address, mpo.address, { validFrom: '2015-01-01T00:00:00Z', connectionLimitW: '100000' })];
    const registered = await postJson(`${service.url}/meters`, { meters }, AS_OPERATOR);
    expect(registered.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    for (const result of tallies) reportHostile(result);
    await service?.stop();
  });

  async function counts(): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const table of TABLES) result[table] = (await service.running.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    return result;
  }

  async function attack(suite: string, seed: number, spec: Omit<SignatureAttackSpec, 'environment'>): Promise<void> {
    const requests = signatureAttacks({ ...spec, environment: service.environment }, PER_TARGET, seed);
    const before = await counts();
    const result = await sendSignatureAttacks(service.url, suite, requests);
    tallies.push(result);
    expect(result.failures).toEqual([]);
    expect({ tried: result.tried, refused: result.refused, crashed: result.crashed }).toEqual({ tried: PER_TARGET, refused: PER_TARGET, crashed: 0 });
    expect(result.statuses).toEqual(expectedStatuses(requests));
    expect(await counts()).toEqual(before);
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
  }

  const batchNonce = (body: Buffer) => bodySha256(body);

  it('POST /readings', async () => {
    const body = Buffer.from(JSON.stringify({ mpo: mpo.address, intervals: [intervalJson('H-1', '2026-03-29T00:00:00Z', '10')] }));
    await attack('meter-ingest POST /readings signatures', 20261211, { valid: { method: 'POST', path: '/readings', body }, rightSigner: mpo, wrongSigners: [otherMpo, service.operator], nonceOf: batchNonce });
  }, 300_000);

  it('POST /mscons', async () => {
    await attack('meter-ingest POST /mscons signatures', 20261212, { valid: { method: 'POST', path: '/mscons?periodLength=PT15M', body: SAMPLE }, rightSigner: mpo, wrongSigners: [otherMpo, service.operator], nonceOf: batchNonce });
  }, 300_000);

  it('POST /meters', async () => {
    const body = Buffer.from(JSON.stringify({ meters: [meterJson('H-NEW', mpo.address, mpo.address, { gridArea: GRID_AREA })] }));
    await attack('meter-ingest POST /meters signatures', 20261213, {
      valid: { method: 'POST', path: '/meters', body },
      rightSigner: service.operator,
      wrongSigners: [mpo, otherMpo],
      refusedBody: { body: Buffer.from('{"meters":"none"}'), status: 400 },
    });
  }, 300_000);

  it('PATCH /meters/{meterId}', async () => {
    const body = Buffer.from(JSON.stringify({ effectiveFrom: '2030-01-01T00:00:00Z', supplier: 'SUP-2' }));
    await attack('meter-ingest PATCH /meters/{meterId} signatures', 20261214, {
      valid: { method: 'PATCH', path: '/meters/H-1', body },
      rightSigner: service.operator,
      wrongSigners: [mpo, otherMpo],
      refusedBody: { body: Buffer.from('{"effectiveFrom":"someday"}'), status: 400 },
    });
  }, 300_000);

  it('DELETE /meters/{meterId}', async () => {
    const body = Buffer.from(JSON.stringify({ effectiveAt: '2030-01-01T00:00:00Z' }));
    await attack('meter-ingest DELETE /meters/{meterId} signatures', 20261215, {
      valid: { method: 'DELETE', path: '/meters/H-1', body },
      rightSigner: service.operator,
      wrongSigners: [mpo, otherMpo],
      refusedBody: { body: Buffer.from('{"effectiveAt":"someday"}'), status: 400 },
    });
  }, 300_000);
});
