import { MSCONS_SAMPLE_PATH, expectProblem, expectProblemAnswer } from '@gridledger/testing';
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { Wallet } from 'ethers';
import { fileDigest, signBatchDigest } from '@gridledger/metering';
import { importMsconsFile } from '../src/cli/import-mscons';
import { meterJson } from './support/fixtures';
import { OPERATOR_TOKEN, meterStreamMessages, postJson, startTestService, type TestService } from './support/test-service';

const SAMPLE = MSCONS_SAMPLE_PATH;
const METER = 'US0001062600000001000000022345671';
const REPO_ROOT = resolve(__dirname, '../../..');
const CLI = 'services/meter-ingest/src/cli/import-mscons.ts';
const mpo = Wallet.createRandom();

async function upload(service: TestService, raw: Buffer, signer: Wallet | ReturnType<typeof Wallet.createRandom>, headers: Record<string, string> = {}) {
  const signature = await signBatchDigest(signer, 'mscons', fileDigest(raw));
  const response = await fetch(`${service.url}/mscons`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'x-mpo-address': mpo.address, 'x-mpo-signature': signature, ...headers },
    body: raw,
  });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed'), contentType: response.headers.get('content-type'), body: (await response.json()) as Record<string, unknown> };
}

describe('MSCONS upload and CLI import', () => {
  let service: TestService;
  const raw = readFileSync(SAMPLE);

  beforeAll(async () => {
    service = await startTestService();
    const registered = await postJson(
      `${service.url}/meters`,
      { meters: [meterJson(METER, mpo.address, Wallet.createRandom().address, { validFrom: '2015-01-01T00:00:00Z', connectionLimitW: '100000' })] },
      { authorization: `Bearer ${OPERATOR_TOKEN}` },
    );
    expect(registered.status).toBe(201);
  });
  afterAll(() => service.stop());

  it('imports the real sample to its exact Wh total, reporting every quarantined value', async () => {
    const first = await upload(service, raw, mpo);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'partially-accepted', accepted: 2968, duplicates: 0, rejected: 8, batchId: fileDigest(raw) });
    expect((first.body.notes as string[]).filter((n) => n.startsWith('realigned'))).toHaveLength(68);
    const [{ total, n }] = await service.running.dataSource.query(`SELECT sum(energy_wh)::text AS total, count(*)::int AS n FROM intervals WHERE meter_id = $1`, [METER]);
    expect({ total, n }).toEqual({ total: '676577', n: 2968 });
    // Accepted plus quarantined energy is the file's whole QTY sum: nothing lost silently.
    const quarantinedWh = (first.body.rejections as { value: string }[]).reduce((sum, r) => sum + BigInt(r.value.split(' ')[0]), 0n);
    expect(676_577n + quarantinedWh).toBe(680_282n);

    await service.running.outboxRelay?.flush();
    const measured = (await meterStreamMessages(service)).filter((m) => m.subject === 'meter.intervals.measured.BG-1');
    expect(measured).toHaveLength(1);
    const intervals = measured[0].data.data.intervals as { energyWh: string }[];
    expect(intervals.reduce((sum, i) => sum + BigInt(i.energyWh), 0n)).toBe(676_577n);
  });

  it('takes the same file twice, over HTTP and by the CLI, as one batch', async () => {
    const again = await upload(service, raw, mpo);
    expect(again).toMatchObject({ status: 200, replayed: 'true', body: { accepted: 2968 } });
    const cli = await importMsconsFile({ file: SAMPLE, databaseUrl: service.db.url, privateKey: mpo.privateKey });
    expect(cli.replayed).toBe(true);
    expect(cli.answer.batchId).toBe(fileDigest(raw));
    const [{ n }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM raw_batches`);
    expect(n).toBe(1);
  });

  it('runs as a command: prints the stored answer, exits 0; exits 1 with the reason on a bad signature', async () => {
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
        execFile(process.execPath, ['-r', '@swc-node/register', CLI, SAMPLE], { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: service.db.url, ...env } }, (error, stdout, stderr) =>
          done({ code: error ? (error as { code?: number }).code ?? 1 : 0, stdout, stderr }),
        );
      });
    const ok = await run({ MPO_PRIVATE_KEY: mpo.privateKey });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ replayed: true, batchId: fileDigest(raw), accepted: 2968 });
    const forged = await run({ MPO_ADDRESS: mpo.address, MPO_SIGNATURE: `0x${'11'.repeat(65)}` });
    expect(forged.code).toBe(1);
    expectProblemAnswer({ status: 401, contentType: null, body: JSON.parse(forged.stderr) }, { status: 401, code: 'BAD_SIGNATURE' });
  }, 60_000);

  it('refuses an unsigned, a forged and a truncated upload with 4xx, writing nothing', async () => {
    const unsigned = await fetch(`${service.url}/mscons`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: raw });
    await expectProblem(unsigned, { status: 401 });
    expectProblemAnswer(await upload(service, raw, Wallet.createRandom()), { status: 401, code: 'BAD_SIGNATURE' });
    const truncated = expectProblemAnswer(await upload(service, raw.subarray(0, 5000), mpo), { status: 400 });
    expect(truncated.code).toMatch(/^MSCONS_/);
    const [{ n }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM raw_batches`);
    expect(n).toBe(1);
  });
});
