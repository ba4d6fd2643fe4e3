/**
 * What validating an intake event with its zod schema would cost on meter-ingest's hot path
 * against the sampled check serializeTrustedEvent runs (checkTrustedData).
 * `node -r @swc-node/register libs/messaging/bench/trusted-validation.bench.ts [intervals]`
 */
import { MeterIntervalsMeasured } from '@gridledger/events';
import { checkTrustedData } from '../src/outbox-writer';

const count = Number(process.argv[2] ?? 10_000);
const start = Date.UTC(2026, 2, 29);
const data = {
  batchId: `0x${'ab'.repeat(32)}`,
  mpo: `0x${'12'.repeat(20)}`,
  groupId: 'G1',
  periodLength: 'PT15M' as const,
  receivedAt: '2026-03-30T00:00:00.000Z',
  intervals: Array.from({ length: count }, (_, i) => ({
    meterId: `DE-${i % 500}`,
    direction: 'consumption' as const,
    periodId: new Date(start + Math.floor(i / 500) * 900_000).toISOString().replace('.000', ''),
    energyWh: String(1000 + i),
    quality: 'measured' as const,
  })),
};
// Bypass the event's own max intervals bound to time the per-interval cost at this size.
const schema = MeterIntervalsMeasured.schema.extend({ intervals: MeterIntervalsMeasured.schema.shape.intervals.element.array() });

function time(label: string, run: () => unknown, rounds = 20): void {
  for (let i = 0; i < 3; i++) run();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) run();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  console.log(`${label}: ${ms.toFixed(2)} ms per event of ${count} intervals`);
}

time('zod parse', () => schema.parse(data));
time('JSON.stringify', () => JSON.stringify(data));
time('checkTrustedData (sampled)', () => checkTrustedData(MeterIntervalsMeasured, data), 200);
