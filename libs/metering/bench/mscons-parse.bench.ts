/**
 * Parser speed, not a test: `node -r @swc-node/register libs/metering/bench/mscons-parse.bench.ts`.
 * Measures the real sample (repeated) and a generated interchange of 1,000,000 values
 * (10 messages × 100 locations × 1,000 quarter hours, decimal comma, +01 offsets), then the
 * register split of 1,000,000 readings. Ends with one line of JSON.
 */
import { resolve } from 'node:path';
import { readFileSync } from 'fs';
import { splitRegisterReadings } from '../src/register-split/register-split';
import { RegisterSplitReading } from '../src/register-split/register-split.types';
import { parseMscons } from '../src/mscons/mscons.parser';

// The real sample travels with this library's tests (test/fixtures/mscons/SOURCE.md).
const SAMPLE = resolve(__dirname, '../test/fixtures/mscons/MSCONS_TL_SAMPLE02.txt');
const QUARTER = 900_000;

function generatedInterchange(messages: number, locationsPerMessage: number, valuesPerLocation: number): string {
  const parts: string[] = ["UNA:+,? 'UNB+UNOC:3+9900000000001:500+9900000000002:500+260329:1200+BENCH'"];
  const start = Date.UTC(2026, 2, 1) - 3_600_000;
  for (let m = 0; m < messages; m += 1) {
    let segments = 0;
    parts.push(`UNH+${m}+MSCONS:D:04B:UN:2.2e'`);
    segments += 1;
    for (let l = 0; l < locationsPerMessage; l += 1) {
      parts.push(`LOC+172+DE${String(m * locationsPerMessage + l).padStart(9, '0')}'LIN+1'PIA+5+1-1?:1.29.0:SRW'`);
      segments += 3;
      for (let v = 0; v < valuesPerLocation; v += 1) {
        const from = local(start + v * QUARTER);
        const to = local(start + (v + 1) * QUARTER);
        parts.push(`QTY+220:${(v * 7919) % 100},${String((v * 31) % 1000).padStart(3, '0')}'DTM+163:${from}?+01:303'DTM+164:${to}?+01:303'`);
        segments += 3;
      }
    }
    segments += 1;
    parts.push(`UNT+${segments}+${m}'`);
  }
  parts.push(`UNZ+${messages}+BENCH'`);
  return parts.join('');
}

/** CCYYMMDDHHMM in UTC+01 for a UTC instant. */
function local(utcMs: number): string {
  return new Date(utcMs + 3_600_000).toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

/** Wall time and CPU time (user + system, all threads: GC included): the machine is shared. */
function time<T>(run: () => T): { result: T; ms: number; cpuMs: number } {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = run();
  const used = process.cpuUsage(cpu);
  return { result, ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

function main(): void {
  let peakRss = process.memoryUsage().rss;
  const sample = readFileSync(SAMPLE, 'latin1');
  for (let k = 0; k < 5; k += 1) parseMscons(sample); // warm up
  const rounds = 50;
  const sampleRun = time(() => {
    let values = 0;
    for (let k = 0; k < rounds; k += 1) values += parseMscons(sample).messages[0].locations[0].intervals.length;
    return values;
  });
  const sampleValuesPerSecond = Math.round((sampleRun.result / sampleRun.ms) * 1000);
  console.log(
    `sample: ${rounds} × ${sampleRun.result / rounds} values in ${sampleRun.ms.toFixed(0)} ms (${sampleRun.cpuMs.toFixed(0)} ms CPU): ${(sampleRun.ms / rounds).toFixed(2)} ms per file, ${sampleValuesPerSecond} values/s`,
  );

  const built = time(() => generatedInterchange(10, 100, 1_000));
  const text = built.result;
  console.log(`generated 1,000,000 values: ${(text.length / 1e6).toFixed(1)} M characters in ${built.ms.toFixed(0)} ms`);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const big = time(() => parseMscons(text));
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  let values = 0;
  for (const message of big.result.messages) for (const location of message.locations) values += location.intervals.length;
  if (values !== 1_000_000 || big.result.rejectedMessages.length > 0) throw new Error(`expected 1,000,000 values, got ${values}`);
  const bigValuesPerSecond = Math.round((values / big.ms) * 1000);
  const megabytesPerSecond = text.length / 1e6 / (big.ms / 1000);
  console.log(`parsed 1,000,000 values in ${big.ms.toFixed(0)} ms (${big.cpuMs.toFixed(0)} ms CPU): ${bigValuesPerSecond} values/s, ${megabytesPerSecond.toFixed(1)} M characters/s`);

  const readings: RegisterSplitReading[] = [];
  const meters = 1_000;
  const perMeter = 1_000;
  const t0 = Date.UTC(2026, 2, 1);
  for (let m = 0; m < meters; m += 1) {
    let register = BigInt(m) * 1_000_000n;
    for (let k = 0; k < perMeter; k += 1) {
      register += BigInt((k * 7919 + m) % 500);
      readings.push({ meterId: `M${m}`, readAtMs: t0 + k * QUARTER + ((m * 37) % 600) * 1000, registerWh: register });
    }
  }
  const split = time(() => splitRegisterReadings(readings, 'PT15M'));
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const readingsPerSecond = Math.round((readings.length / split.ms) * 1000);
  console.log(`split ${readings.length} readings into ${split.result.intervals.length} periods in ${split.ms.toFixed(0)} ms (${split.cpuMs.toFixed(0)} ms CPU): ${readingsPerSecond} readings/s`);
  const peakRssMiB = Math.round(peakRss / 1024 / 1024);
  console.log(`peak RSS ${peakRssMiB} MiB`);
  console.log(
    JSON.stringify({
      sampleMsPerFile: Number((sampleRun.ms / rounds).toFixed(2)),
      sampleValuesPerSecond,
      generatedValues: values,
      generatedParseMs: Math.round(big.ms),
      generatedParseCpuMs: Math.round(big.cpuMs),
      generatedValuesPerSecond: bigValuesPerSecond,
      splitReadingsPerSecond: readingsPerSecond,
      peakRssMiB,
    }),
  );
}

main();
