import { Wallet } from 'ethers';
import { groupPeriodManifest, type ManifestBatchValue } from '@gridledger/domain';
import { METER_RESEND_SUBJECT, MeterManifestUpdated } from '@gridledger/events';
import { waitFor } from '@gridledger/testing';
import { intervalJson, meterJson, signedBatch, type TestSigner } from './support/fixtures';
import { AS_OPERATOR, meterStreamMessages, postJson, signedHeaders, startTestService, type TestService } from './support/test-service';

const mpoA = Wallet.createRandom();
const mpoB = Wallet.createRandom();
const dso = Wallet.createRandom().address;
const operator = AS_OPERATOR;
const PERIOD = '2026-03-29T10:00:00Z';
const LATER_PERIOD = '2026-03-29T10:15:00Z';

describe('meter-ingest manifests', () => {
  let service: TestService;
  const accepted: ManifestBatchValue[] = [];
  /** Values of LATER_PERIOD: one MPO only. */
  const acceptedLater: ManifestBatchValue[] = [];

  async function submit(mpo: TestSigner, values: [string, string][], periodId = PERIOD): Promise<string> {
    // Signed here (not by postJson) to know the request signature the manifest must carry.
    const text = JSON.stringify(signedBatch(mpo, { intervals: values.map(([meterId, wh]) => intervalJson(meterId, periodId, wh)) }));
    const headers = await signedHeaders(mpo, 'POST', `${service.url}/readings`, text);
    const answer = await postJson(`${service.url}/readings`, text, headers);
    expect(answer.body).toMatchObject({ status: 'accepted' });
    const batchId = answer.body.batchId as string;
    const into = periodId === PERIOD ? accepted : periodId === LATER_PERIOD ? acceptedLater : null;
    if (into) {
      for (const [meterId, wh] of values) into.push({ meterId, direction: meterId.startsWith('HH') ? 'consumption' : 'production', energyWh: wh, mpo: mpo.address, batchId, format: 'readings-json', signature: headers['x-gl-signature'], request: signedAs(headers) });
    }
    return batchId;
  }

  /** What the manifest names of a batch's signed request besides its id (the verifier recovers the MPO from it). */
  function signedAs(headers: Record<string, string>) {
    const { chainId, verifyingContract } = service.environment;
    return { method: 'POST', path: '/readings', expiry: headers['x-gl-expiry'], chainId: String(chainId), verifyingContract };
  }

  async function manifests(periodId = PERIOD): Promise<{ msgId?: string; data: ReturnType<typeof MeterManifestUpdated.parse> }[]> {
    const messages = (await meterStreamMessages(service, { manifests: true })).filter((m) => m.subject === 'meter.manifest.updated.BG-M');
    return messages.map((m) => ({ msgId: m.msgId, data: MeterManifestUpdated.parse(m.data) })).filter((m) => m.data.data.periodId === periodId);
  }

  beforeAll(async () => {
    service = await startTestService({ METER_INGEST_MANIFEST_INTERVAL_MS: '100' });
    await service.grant('MPO', ['BG-M'], mpoA.address);
    await service.grant('MPO', ['BG-M'], mpoB.address);
    const meters = [
      meterJson('PV-1', mpoA.address, dso, { groupId: 'BG-M' }),
      meterJson('pv-2', mpoA.address, dso, { groupId: 'BG-M' }),
      meterJson('HH-1', mpoB.address, dso, { groupId: 'BG-M', direction: 'consumption' }),
      meterJson('HH-2', mpoB.address, dso, { groupId: 'BG-M', direction: 'consumption' }),
    ];
    expect(await postJson(`${service.url}/meters`, { meters }, operator)).toMatchObject({ status: 201 });
  });
  afterAll(() => service.stop());

  it('publishes per group-period what was accepted: count and digest overall, per MPO and per batch, as the domain function computes them', async () => {
    await submit(mpoA, [['PV-1', '950'], ['pv-2', '12']]);
    await submit(mpoB, [['HH-1', '300']]);
    // A value for another period changes another manifest, not this one.
    await submit(mpoB, [['HH-2', '7']], LATER_PERIOD);
    const [first] = await waitFor(async () => {
      const found = await manifests();
      return found.length > 0 && found.at(-1)!.data.data.count === 3 ? found.slice(-1) : null;
    });
    const expected = groupPeriodManifest(accepted);
    expect(first.data.data).toEqual({ groupId: 'BG-M', periodId: PERIOD, periodLength: 'PT15M', revision: first.data.data.revision, ...expected });
    expect(first.data.data.perMpo.map((m) => m.mpo)).toEqual([mpoA.address, mpoB.address].sort());
    // A group-period of one MPO: its total is that MPO's line (taken from it, not aggregated again).
    const [later] = await waitFor(async () => {
      const found = await manifests(LATER_PERIOD);
      return found.length > 0 ? found.slice(-1) : null;
    });
    expect(later.data.data).toEqual({ groupId: 'BG-M', periodId: LATER_PERIOD, periodLength: 'PT15M', revision: 1, ...groupPeriodManifest(acceptedLater) });
  });

  it('publishes a new revision when a late value arrives, and nothing when nothing changed', async () => {
    const before = (await manifests()).at(-1)!.data.data.revision;
    await submit(mpoB, [['HH-2', '41']]);
    const latest = await waitFor(async () => {
      const found = (await manifests()).at(-1)!;
      return found.data.data.count === 4 ? found : null;
    });
    expect(latest.data.data.revision).toBe(before + 1);
    expect(latest.data.data).toMatchObject(groupPeriodManifest(accepted));
    // The same batch again stores nothing: no new revision.
    const [{ n }] = await service.running.dataSource.query(`SELECT count(*)::int AS n FROM manifest_dirty`);
    expect(n).toBe(0);
  });

  it('re-sends a group-period: its measured events and its latest manifest, from the outbox under fresh message ids', async () => {
    const subject = `${service.namespace}.rpc.${METER_RESEND_SUBJECT}`;
    const answer = (await service.nc.request(subject, Buffer.from(JSON.stringify({ groupId: 'BG-M', periodId: PERIOD, replayId: 'test-1' })), { timeout: 10_000 })).json<{ replayed: number }>();
    // Three batches carried BG-M values of the period, plus the manifest.
    expect(answer).toEqual({ replayed: 4 });
    const replayed = (await meterStreamMessages(service, { manifests: true })).filter((m) => m.msgId?.endsWith('~replay~test-1'));
    expect(replayed.map((m) => m.subject).sort()).toEqual(['meter.intervals.measured.BG-M', 'meter.intervals.measured.BG-M', 'meter.intervals.measured.BG-M', 'meter.manifest.updated.BG-M']);
    const bad = (await service.nc.request(subject, Buffer.from(JSON.stringify({ groupId: 'BG-M', periodId: 'yesterday', replayId: 'x' })), { timeout: 10_000 })).json<{ error: string }>();
    expect(bad.error).toMatch(/periodId/);
  });
});
