import { Wallet } from 'ethers';
import { formatInstant } from '@gridledger/domain';
import { MeterIntervalsMeasured } from '@gridledger/events';
import { canonicalJson, jsonBatchDigest, parseReadingBatch, signJsonBody, validateIntervals, verifyBatchSignature, withoutSignature, parseRegisterCommand } from '@gridledger/metering';
import { createThrowawayDatabase } from '../test/support/throwaway-database';
import { MeterRegistryService } from '../src/registry/meter-registry.service';
import { IntakePipeline } from '../src/intake/intake.pipeline';
import { verifyJsonSubmission } from '../src/intake/json-submission';
import { loadRegistryView } from '../src/intake/interval-store';
import type { PoolClient } from 'pg';

const t = () => Number(process.hrtime.bigint()) / 1e6;
async function main() {
  const db = await createThrowawayDatabase();
  const w = Wallet.createRandom();
  const mpo = new Wallet(w.privateKey);
  const reg = new MeterRegistryService(db.dataSource);
  let s = t();
  for (let f = 0; f < 20000; f += 10000) {
    const cmds = [];
    for (let i = f; i < f + 10000; i++) cmds.push(parseRegisterCommand({ meterId: `M${i}`, direction: 'consumption', mpo: mpo.address, dso: mpo.address, groupId: `G${i % 20}`, supplier: null, connectionLimitW: '30000', validFrom: '2026-01-01T00:00:00Z' }, 'x'));
    await reg.apply(cmds, { kind: 'operator' });
  }
  console.log('register 20k', t() - s);
  const pipeline = new IntakePipeline(db.dataSource);
  for (let n = 0; n < 4; n++) {
    const intervals = [];
    for (let i = 0; i < 10000; i++) intervals.push({ meterId: `M${i + (n % 2) * 10000}`, periodId: formatInstant(Date.parse('2026-03-01T00:00:00Z') + n * 900000), energyWh: String(100 + i), quality: 'measured' });
    const body = await signJsonBody(mpo, 'readings-json', { mpo: mpo.address, intervals });
    const raw = Buffer.from(JSON.stringify(body));
    s = t(); const parsed = JSON.parse(raw.toString()); const a = t() - s;
    s = t(); const batch = parseReadingBatch(parsed); const b = t() - s;
    s = t(); const canon = canonicalJson(withoutSignature(parsed)); const c = t() - s;
    s = t(); const digest = jsonBatchDigest(parsed); const d = t() - s;
    s = t(); verifyBatchSignature('readings-json', digest, body.signature, mpo.address); const e = t() - s;
    const qr = db.dataSource.createQueryRunner(); const client = (await qr.connect()) as PoolClient;
    s = t(); const view = await loadRegistryView(client, batch.intervals.map((v) => v.meterId)); const f = t() - s;
    await qr.release();
    s = t(); const val = validateIntervals(batch.intervals, { mpo: mpo.address, periodLength: 'PT15M', nowMs: Date.now(), registry: view }); const g = t() - s;
    s = t(); const env = MeterIntervalsMeasured.create({ data: { batchId: digest, mpo: mpo.address, groupId: 'G1', periodLength: 'PT15M', receivedAt: new Date().toISOString(), intervals: val.accepted.slice(0, 4000).map((v) => ({ meterId: v.meterId, direction: v.direction, periodId: v.periodId, energyWh: v.energyWh.toString(), quality: v.quality })) }, idParts: ['x'], occurredAt: new Date() }); const h = t() - s;
    s = t(); JSON.stringify(env); const i2 = t() - s;
    s = t(); await pipeline.submit(verifyJsonSubmission(raw, 'http', { maxEntries: 50000 })); const total = t() - s;
    console.log({ parse: a, batch: b, canon: c.toFixed(1), digest: d, verify: e, view: f, validate: g, zodCreate: h, stringify: i2, pipelineTotal: total, canonLen: canon.length });
  }
  await db.drop();
}
void main();
