import { Wallet } from 'ethers';
import { DEFAULT_BATCH_LIMITS, jsonBatchDigest, parseRegisterCommand, verifyBatchSignature } from '@gridledger/metering';
import { ManualClock } from '@gridledger/testing';
import { IntakePipeline } from '../src/intake/intake.pipeline';
import { verifyJsonSubmission } from '../src/intake/json-submission';
import { MeterRegistryService } from '../src/registry/meter-registry.service';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/throwaway-database';
import { intervalJson, meterJson, signedBatch } from './support/fixtures';

const NOW = Date.parse('2026-03-30T00:00:00Z');
const mpo = Wallet.createRandom();
const dso = Wallet.createRandom().address;

describe('intake pipeline against Postgres', () => {
  let db: ThrowawayDatabase;
  let pipeline: IntakePipeline;

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    pipeline = new IntakePipeline(db.dataSource, new ManualClock(NOW));
    const registry = new MeterRegistryService(db.dataSource, new ManualClock(NOW));
    await registry.apply(
      ['P1', 'P2'].map((id, i) => parseRegisterCommand(meterJson(id, mpo.address, dso, { groupId: i === 0 ? 'BG-A' : 'BG-B' }), `meters[${i}]`)),
      { kind: 'operator' },
    );
  });
  afterAll(() => db.drop());

  const submit = async (body: Record<string, unknown>) => pipeline.submit(verifyJsonSubmission(Buffer.from(JSON.stringify(body)), 'http', DEFAULT_BATCH_LIMITS));

  it('stores good values, answers bad ones, and a re-send changes nothing', async () => {
    const body = await signedBatch(mpo, {
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
    // The raw batch is kept as received: its signed digest can be checked again from storage.
    const [raw] = await db.dataSource.query(`SELECT body, body_encoding, signature, mpo FROM raw_batches WHERE batch_id = $1`, [first.answer.batchId]);
    expect(raw.body).toBe(JSON.stringify(body));
    expect(verifyBatchSignature('readings-json', jsonBatchDigest(JSON.parse(raw.body)), raw.signature, raw.mpo)).toBe(mpo.address);
    await expect(db.dataSource.query(`UPDATE raw_batches SET mpo = 'x'`)).rejects.toThrow(/append-only/);
  });

  it('treats a stored value from another batch as a no-op when equal and a conflict when not', async () => {
    const body = await signedBatch(mpo, { batchRef: 'again', intervals: [intervalJson('P1', '2026-03-29T00:00:00Z', '100'), intervalJson('P2', '2026-03-29T00:00:00Z', '201')] });
    const { answer } = await submit(body);
    expect(answer).toMatchObject({ accepted: 0, duplicates: 1, rejected: 1, status: 'partially-accepted' });
    expect(answer.rejections[0]).toMatchObject({ code: 'CONFLICTING_DUPLICATE', meterId: 'P2' });
  });
});
