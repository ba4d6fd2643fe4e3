import { Wallet } from 'ethers';
import { DEFAULT_BATCH_LIMITS, parseRegisterCommand, type Requester } from '@gridledger/metering';
import { authEnvironment, bodySha256, signRequest, verifySignedRequest, type VerifiedRequest } from '@gridledger/auth';
import { MeterIntervalsMeasured, MeterManifestUpdated, measuredValuesOf } from '@gridledger/events';
import { ManualClock, connectTestMessaging, deleteNamespaceStreams, randomNamespace } from '@gridledger/testing';
import type { PoolClient } from 'pg';
import { IntakePipeline } from '../src/intake/intake.pipeline';
import { ManifestPublisher } from '../src/manifests/manifest.publisher';
import { ManifestsRepository } from '../src/persistence/manifests.repository';
import { RegistryCache } from '../src/intake/registry-cache';
import { verifyJsonSubmission } from '../src/intake/json-submission';
import { MeterRegistryService } from '../src/registry/meter-registry.service';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/throwaway-database';
import { intervalJson, meterJson, signedBatch } from './support/fixtures';

const NOW = Date.parse('2026-03-30T00:00:00Z');
const mpo = Wallet.createRandom();
const dso = Wallet.createRandom().address;
const operator: Requester = { address: dso, mayManage: () => true };
const environment = authEnvironment(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');

describe('intake pipeline against Postgres', () => {
  let db: ThrowawayDatabase;
  let pipeline: IntakePipeline;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    pipeline = new IntakePipeline(db.dataSource, new ManualClock(NOW));
    const registry = new MeterRegistryService(db.dataSource, new ManualClock(NOW));
    await registry.apply(
      ['P1', 'P2'].map((id, i) => parseRegisterCommand(meterJson(id, mpo.address, dso, { groupId: i === 0 ? 'BG-A' : 'BG-B' }), `meters[${i}]`)),
      operator,
    );
  });
  afterAll(() => db.drop());

  /** The pipeline behind the doors: the batch as the signed-request check hands it over. */
  const submit = async (body: Record<string, unknown>) => pipeline.submit(await verified(body));
  const verified = async (body: Record<string, unknown>) => {
    const raw = Buffer.from(JSON.stringify(body));
    const headers = await signRequest(mpo, environment, { method: 'POST', path: '/readings', body: raw }, { nonce: bodySha256(raw) });
    const signed: VerifiedRequest = { signer: mpo.address, nonce: bodySha256(raw), expiresAtMs: Number(headers['x-gl-expiry']) * 1000, bodySha256: bodySha256(raw), signature: headers['x-gl-signature'] };
    const request = { method: 'POST', path: '/readings', nonce: signed.nonce, expiry: headers['x-gl-expiry'], chainId: '31337', verifyingContract: environment.verifyingContract };
    return verifyJsonSubmission(raw, 'http', DEFAULT_BATCH_LIMITS, { signer: signed.signer, bodySha256: signed.bodySha256, signature: signed.signature, request });
  };

  it('stores good values, answers bad ones, and a re-send changes nothing', async () => {
    const body = signedBatch(mpo, {
      intervals: [intervalJson('P1', '2026-03-29T00:00:00Z', '100'), intervalJson('P2', '2026-03-29T00:00:00Z', '200'), intervalJson('NOPE', '2026-03-29T00:00:00Z', '1')],
    });
    const first = await submit(body);
    expect(first.replayed).toBe(false);
    expect(first.answer).toMatchObject({ status: 'partially-accepted', accepted: 2, rejected: 1, groups: [{ groupId: 'BG-A', intervals: 1 }, { groupId: 'BG-B', intervals: 1 }] });
    const second = await submit(body);
    expect(second).toEqual({ answer: first.answer, replayed: true, events: [] });
    expect(first.events.map((e) => e.subject)).toEqual(['meter.intervals.measured.BG-A', 'meter.intervals.measured.BG-B', 'meter.readings.rejected']);
    const rows: { event_type: string; subject: string }[] = await db.dataSource.query(`SELECT event_type, subject FROM outbox WHERE event_type LIKE 'meter.%s.%ed' AND event_type <> 'meter.points.registered' ORDER BY position`);
    expect(rows.map((r) => r.subject)).toEqual(['meter.intervals.measured.BG-A', 'meter.intervals.measured.BG-B', 'meter.readings.rejected']);
    const [{ total }] = await db.dataSource.query(`SELECT sum(energy_wh)::text AS total FROM intervals`);
    expect(total).toBe('300');
    // The raw batch is kept as received with what was signed: its signature can be checked again from storage.
    const [raw] = await db.dataSource.query(`SELECT body, body_encoding, signature, signed_request, mpo FROM raw_batches WHERE batch_id = $1`, [first.answer.batchId]);
    expect(raw.body).toBe(JSON.stringify(body));
    const stored = raw.signed_request as { method: string; path: string; nonce: string; expiry: string };
    const claim = { signer: raw.mpo as string, nonce: stored.nonce, expiry: BigInt(stored.expiry), signature: raw.signature as string };
    expect(verifySignedRequest(environment, { method: stored.method, path: stored.path, body: Buffer.from(raw.body) }, claim, Number(stored.expiry) * 1000 - 1000).signer).toBe(mpo.address);
    expect(first.answer.batchId).toBe(bodySha256(raw.body));
    await expect(db.dataSource.query(`UPDATE raw_batches SET mpo = 'x'`)).rejects.toThrow(/append-only/);
  });

  it('treats a stored value from another batch as a no-op when equal and a conflict when not', async () => {
    const body = signedBatch(mpo, { batchRef: 'again', intervals: [intervalJson('P1', '2026-03-29T00:00:00Z', '100'), intervalJson('P2', '2026-03-29T00:00:00Z', '201')] });
    const { answer } = await submit(body);
    expect(answer).toMatchObject({ accepted: 0, duplicates: 1, rejected: 1, status: 'partially-accepted' });
    expect(answer.rejections[0]).toMatchObject({ code: 'CONFLICTING_DUPLICATE', meterId: 'P2' });
  });

  it('goes through staging when a value stored before meets the COPY early, with the rest of its data already sent', async () => {
    // 2,001 rows make about 140 kB of COPY data (three chunks): the first row is stored
    // already, so the COPY fails with most of its data still to come.
    const bulk = Array.from({ length: 1000 }, (_, i) => `BULK-${String(i).padStart(4, '0')}`);
    await new MeterRegistryService(db.dataSource, new ManualClock(NOW)).apply(
      bulk.map((id, i) => parseRegisterCommand(meterJson(id, mpo.address, dso, { groupId: 'BG-BULK' }), `meters[${i}]`)),
      operator,
    );
    const fresh = bulk.flatMap((id, i) => [intervalJson(id, '2026-03-29T12:00:00Z', String(2 * i + 1)), intervalJson(id, '2026-03-29T12:15:00Z', String(2 * i + 2))]);
    const { answer } = await submit(signedBatch(mpo, { batchRef: 'many', intervals: [intervalJson('P1', '2026-03-29T00:00:00Z', '100'), ...fresh] }));
    expect(answer).toMatchObject({ status: 'accepted', accepted: 2000, duplicates: 1, rejected: 0 });
    const [{ n, total }] = await db.dataSource.query(`SELECT count(*)::int AS n, sum(energy_wh)::text AS total FROM intervals WHERE group_id = 'BG-BULK'`);
    expect(n).toBe(2000);
    expect(total).toBe(String((2000 * 2001) / 2));
  });

  it('follows registry writes made after a batch (intake keeps the registry in memory between batches)', async () => {
    const before = await submit(signedBatch(mpo, { intervals: [intervalJson('P1', '2026-03-29T00:15:00Z', '10'), intervalJson('LATE', '2026-03-29T00:15:00Z', '10')] }));
    expect(before.answer).toMatchObject({ accepted: 1, groups: [{ groupId: 'BG-A', intervals: 1 }], rejections: [{ code: 'UNKNOWN_METER', meterId: 'LATE' }] });
    // Another writer (another replica's registry service, or plain SQL) changes what the first batch saw.
    await new MeterRegistryService(db.dataSource, new ManualClock(NOW)).apply([parseRegisterCommand(meterJson('LATE', mpo.address, dso, { groupId: 'BG-A' }), 'meters[0]')], operator);
    await db.dataSource.query(`UPDATE meter_points SET group_id = 'BG-C' WHERE meter_id = 'P1'`);
    const after = await submit(signedBatch(mpo, { intervals: [intervalJson('P1', '2026-03-29T00:30:00Z', '10'), intervalJson('LATE', '2026-03-29T00:30:00Z', '10')] }));
    expect(after.answer).toMatchObject({ accepted: 2, rejected: 0, groups: [{ groupId: 'BG-A', intervals: 1 }, { groupId: 'BG-C', intervals: 1 }] });
    await db.dataSource.query(`TRUNCATE meter_points`);
    const emptied = await submit(signedBatch(mpo, { intervals: [intervalJson('P1', '2026-03-29T00:45:00Z', '10')] }));
    expect(emptied.answer).toMatchObject({ accepted: 0, rejections: [{ code: 'UNKNOWN_METER', meterId: 'P1' }] });
  });

  it('keeps a batch on the registry it started with while a later batch catches up with a change', async () => {
    const cache = new RegistryCache();
    const runner = db.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await new MeterRegistryService(db.dataSource, new ManualClock(NOW)).apply(
        ['SNAP', 'SNAP2'].map((id, i) => parseRegisterCommand(meterJson(id, mpo.address, dso, { groupId: 'BG-A' }), `meters[${i}]`)),
        operator,
      );
      const first = await cache.view(client, ['SNAP', 'NEVER']);
      expect(first.get('SNAP')?.[0].groupId).toBe('BG-A');
      expect(first.get('NEVER')).toEqual([]);
      // The registry's triggers bump the revision and name the meter changed.
      await db.dataSource.query(`UPDATE meter_points SET group_id = 'BG-S' WHERE meter_id = 'SNAP'`);
      const second = await cache.view(client, ['SNAP']);
      expect(second.get('SNAP')?.[0].groupId).toBe('BG-S');
      // The first batch's view did not change under it.
      expect(first.get('SNAP')?.[0].groupId).toBe('BG-A');
      // The hot path's view reads no meter up front: it notes the ones it misses, then reads those.
      const lazy = await cache.current(client);
      expect(lazy.get('SNAP')?.[0].groupId).toBe('BG-S');
      expect(lazy.get('SNAP2')).toBeUndefined();
      expect([...lazy.missed]).toEqual(['SNAP2']);
      const completed = await cache.complete(client, lazy);
      expect(completed.get('SNAP2')?.[0].groupId).toBe('BG-A');
      expect((await cache.current(client)).get('SNAP2')?.[0].groupId).toBe('BG-A');
      // A batch's meters in order are remembered for the next batch of the same meters, and
      // forgotten when the registry changes: the next batch sees the change.
      const ordered = await cache.current(client);
      expect(['SNAP', 'SNAP2'].map((id) => ordered.get(id)?.[0].groupId)).toEqual(['BG-S', 'BG-A']);
      cache.learn(ordered);
      const again = await cache.current(client);
      expect(['SNAP', 'SNAP2'].map((id) => again.get(id)?.[0].groupId)).toEqual(['BG-S', 'BG-A']);
      await db.dataSource.query(`UPDATE meter_points SET group_id = 'BG-T' WHERE meter_id = 'SNAP2'`);
      const next = await cache.current(client);
      for (const id of ['SNAP', 'SNAP2']) next.get(id);
      const changed = await cache.complete(client, next);
      expect(['SNAP', 'SNAP2'].map((id) => changed.get(id)?.[0].groupId)).toEqual(['BG-S', 'BG-T']);
    } finally {
      await runner.release();
    }
  });

  it('writes each group\'s values in columns, one series per period and quality, whatever their order in the batch', async () => {
    await new MeterRegistryService(db.dataSource, new ManualClock(NOW)).apply(
      ['COL1', 'COL2', 'COL3'].map((id, i) => parseRegisterCommand(meterJson(id, mpo.address, dso, { groupId: i < 2 ? 'BG-COL' : 'BG-ROW' }), `meters[${i}]`)),
      operator,
    );
    const values = [
      ['COL1', '2026-03-29T05:00:00Z', '10', 'measured'],
      ['COL1', '2026-03-29T05:15:00Z', '11', 'estimated'],
      ['COL3', '2026-03-29T05:00:00Z', '30', 'measured'],
      ['COL2', '2026-03-29T05:15:00Z', '21', 'estimated'],
      ['COL2', '2026-03-29T05:00:00Z', '20', 'measured'],
    ] as const;
    const outcome = await pipeline.submit(await verified(signedBatch(mpo, { intervals: values.map(([id, period, wh, quality]) => intervalJson(id, period, wh, quality)) })));
    const events = outcome.events.filter((e) => e.type === MeterIntervalsMeasured.type).map((e) => MeterIntervalsMeasured.parse(JSON.parse(e.payload)));
    expect(events.map((e) => [e.data.groupId, e.data.series.map((s) => [s.periodId.slice(11, 16), s.direction, s.quality, s.meterIds, s.energyWh])])).toEqual([
      ['BG-COL', [['05:00', 'production', 'measured', ['COL1', 'COL2'], ['10', '20']], ['05:15', 'production', 'estimated', ['COL1', 'COL2'], ['11', '21']]]],
      ['BG-ROW', [['05:00', 'production', 'measured', ['COL3'], ['30']]]],
    ]);
    const back = events.flatMap((e) => [...measuredValuesOf(e.data)].map((v) => [v.meterId, v.periodId, v.energyWh, v.quality]));
    expect(back.sort()).toEqual(values.map((v) => [...v]).sort());
  });

  it('publishes the measured intervals as the event contract has them', async () => {
    const rows: { payload: string }[] = await db.dataSource.query(`SELECT payload FROM outbox WHERE event_type = 'meter.intervals.measured' ORDER BY position`);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(() => MeterIntervalsMeasured.parse(JSON.parse(row.payload))).not.toThrow();
    expect(JSON.parse(rows[0].payload)).toMatchObject({ schemaVersion: 2, data: { series: [{ periodId: '2026-03-29T00:00:00Z', direction: 'production', quality: 'measured', meterIds: ['P1'], energyWh: ['100'] }] } });
  });

  it('sends the manifests it commits itself, with no relay running, and marks their outbox rows published', async () => {
    const namespace = randomNamespace();
    const messaging = await connectTestMessaging({ namespace, name: 'manifest-publisher-test' });
    try {
      await messaging.ensureStreams();
      await submit(signedBatch(mpo, { batchRef: 'manifest', intervals: [intervalJson('P1', '2026-03-29T07:00:00Z', '5'), intervalJson('P2', '2026-03-29T07:00:00Z', '6')] }));
      const publisher = new ManifestPublisher(db.dataSource, new ManifestsRepository(), new ManualClock(NOW), messaging);
      const pass = await publisher.publishDirty();
      expect(pass.failed).toEqual([]);
      // Both groups of the batch, and any group-period the tests before this one left dirty.
      expect(pass.published).toBeGreaterThanOrEqual(2);
      const rows: { published: boolean }[] = await db.dataSource.query(`SELECT published_at IS NOT NULL AS published FROM outbox WHERE event_type = $1`, [MeterManifestUpdated.type]);
      expect(rows).toHaveLength(pass.published);
      expect(rows.every((row) => row.published)).toBe(true);
      const info = await messaging.jsm.streams.info(messaging.streamName('METER'), { subjects_filter: `${namespace}.meter.manifest.updated.>` });
      expect(Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0)).toBe(pass.published);
    } finally {
      await messaging.close();
      await deleteNamespaceStreams(namespace);
    }
  });

  it("writes a period's group-periods in one transaction, and when one cannot be written, the others each alone", async () => {
    const namespace = randomNamespace();
    const messaging = await connectTestMessaging({ namespace, name: 'manifest-failure-test' });
    const period = '2026-03-29T08:00:00Z';
    try {
      await messaging.ensureStreams();
      const publisher = new ManifestPublisher(db.dataSource, new ManifestsRepository(), new ManualClock(NOW), messaging);
      await publisher.publishDirty();
      // BG-B's manifest of this period cannot be stored (a constraint only this test adds).
      await db.dataSource.query(`ALTER TABLE group_period_manifests ADD CONSTRAINT test_refuses_bg_b CHECK (group_id <> 'BG-B' OR period_start <> '${period}')`);
      await new MeterRegistryService(db.dataSource, new ManualClock(NOW)).apply(
        ['MF-A', 'MF-B'].map((id, i) => parseRegisterCommand(meterJson(id, mpo.address, dso, { groupId: i === 0 ? 'BG-A' : 'BG-B' }), `meters[${i}]`)),
        operator,
      );
      const outcome = await submit(signedBatch(mpo, { batchRef: 'manifest-failure', intervals: [intervalJson('MF-A', period, '8'), intervalJson('MF-B', period, '9')] }));
      expect(outcome.answer).toMatchObject({ accepted: 2 });
      const pass = await publisher.publishDirty();
      expect(pass).toMatchObject({ computed: 2, published: 1, failed: [{ groupId: 'BG-B', periodId: period }] });
      expect(pass.failed[0].reason).toMatch(/test_refuses_bg_b/);
      const stored: { group_id: string; value_count: number }[] = await db.dataSource.query(`SELECT group_id, value_count FROM group_period_manifests WHERE period_start = $1 ORDER BY group_id`, [period]);
      expect(stored).toEqual([{ group_id: 'BG-A', value_count: 1 }]);
      // Both dirty marks are gone: the failed one is the reconciler's to report, not a loop's to retry.
      expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM manifest_dirty WHERE period_start = $1`, [period])).toEqual([{ n: 0 }]);
    } finally {
      await db.dataSource.query(`ALTER TABLE group_period_manifests DROP CONSTRAINT IF EXISTS test_refuses_bg_b`);
      await messaging.close();
      await deleteNamespaceStreams(namespace);
    }
  });
});
