/**
 * What validating an intake event with its zod schema would cost on meter-ingest's hot path
 * against the sampled check serializeTrustedEventSpliced runs (checkTrustedData over the
 * series cut to their first, middle and last values).
 * `node -r @swc-node/register libs/messaging/bench/trusted-validation.bench.ts [values]`
 */
import { MAX_INTERVALS_PER_EVENT, MeterIntervalsMeasured, measuredSeriesOf, sampledSeries } from '@gridledger/events';
import { checkTrustedData } from '../src/outbox-writer';

const count = Math.min(Number(process.argv[2] ?? MAX_INTERVALS_PER_EVENT), MAX_INTERVALS_PER_EVENT);
const start = Date.UTC(2026, 2, 29);
const data = {
  batchId: `0x${'ab'.repeat(32)}`,
  mpo: `0x${'12'.repeat(20)}`,
  groupId: 'G1',
  periodLength: 'PT15M' as const,
  receivedAt: '2026-03-30T00:00:00.000Z',
  series: measuredSeriesOf(
    Array.from({ length: count }, (_, i) => ({
      meterId: `DE-${i % 500}`,
      direction: 'consumption' as const,
      periodId: new Date(start + Math.floor(i / 500) * 900_000).toISOString().replace('.000', ''),
      energyWh: String(1000 + i),
      quality: 'measured' as const,
    })),
  ),
};
function time(label: string, run: () => unknown, rounds = 20): void {
  for (let i = 0; i < 3; i++) run();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) run();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  console.log(`${label}: ${ms.toFixed(2)} ms per event of ${count} values`);
}

time('zod parse', () => MeterIntervalsMeasured.schema.parse(data));
time('JSON.stringify', () => JSON.stringify(data));
time('checkTrustedData (sampled series)', () => checkTrustedData(MeterIntervalsMeasured, { ...data, series: sampledSeries(data.series) }), 200);
