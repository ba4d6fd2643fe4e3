import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource } from 'typeorm';
import { formatInstant, groupPeriodManifest, loadKeccak256, type Direction, type ManifestBatchValue, type ManifestValue } from '@gridledger/domain';
import { MESSAGING_ENTITIES, openDataSource } from '@gridledger/persistence';
import { ManualClock, createTestDatabase } from '@gridledger/testing';
import { MIGRATIONS, SCHEMA } from '../src/migrations';
import { createMeterValuePartitions } from '../src/persistence/meter-value-partitions';
import { DEFAULT_MANIFEST_POLICY, DEFAULT_POISON_POLICY, GroupPeriodSettler, type ManifestPolicy } from '../src/settlement/group-period.settler';
import { IngestManifestsRepository } from '../src/persistence/ingest-manifests.repository';
import { createMerkleRoots } from '../src/settlement/merkle-roots';

/**
 * bench:balancing — settle one period of N meters in 50 balancing groups, N = 10k, 100k, 1M.
 *
 * What "settle" includes (timed): the service's real settlement path, from Postgres rows to
 * the settled events in the outbox, for every group: loading the group-period's state (the
 * registry's expected meters joined with the values, schedules, price, versions), the
 * group-period decider (gate check, netting, pricing, the ledger posting, the Merkle root
 * over every meter, hashed on worker threads), storing the version and ledger rows, the
 * `balancing.period.settled` outbox rows, and the market-wide `balancing.period.closed`.
 * Not timed: loading the registry and the values into Postgres (COPY) before gate closure.
 */
const GROUPS = 50;
/**
 * As in production (BALANCING_REQUIRE_MANIFEST on): each group-period settles only when its
 * values match meter-ingest's manifest, which the bench stores as balancing receives it (one
 * MPO, two signed batches per group), and each version carries the manifest's inputsDigest.
 */
const MANIFEST: ManifestPolicy = DEFAULT_MANIFEST_POLICY;
const SIZES = [10_000, 100_000, 1_000_000];
/** As the service runs by default: two hashing threads, two settlements in flight. */
const MERKLE_THREADS = Number(process.env.BALANCING_MERKLE_THREADS ?? 2);
const BASE_PERIOD_MS = Date.parse('2026-03-29T00:00:00Z');
/** Every leaf is salted, as in the service (one derived key per group-period-version, a keyed keccak per leaf). */
const LEAF_SALT_KEY = randomBytes(32);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);

/** CPU seconds (user + system) of a thread or process from /proc (Linux; 0 elsewhere): the machine is shared, so wall time alone misleads. */
function procCpuSeconds(statPath: string): number {
  try {
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const fields = readFileSync(statPath, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU of the main thread, of the whole process (hashing threads included), and of this database's Postgres backends. */
async function cpuSnapshot(dataSource: DataSource): Promise<{ main: number; process: number; postgres: number }> {
  const backends: { pid: number }[] = await dataSource.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  const usage = process.cpuUsage();
  return {
    main: procCpuSeconds(`/proc/self/task/${process.pid}/stat`),
    process: (usage.user + usage.system) / 1e6,
    postgres: backends.reduce((sum, { pid }) => sum + procCpuSeconds(`/proc/${pid}/stat`), 0),
  };
}

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function copyRows(dataSource: DataSource, table: string, columns: string, rows: () => Generator<string>): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const client = (await runner.connect()) as PoolClient;
    const chunks = function* (): Generator<string> {
      let chunk = '';
      for (const line of rows()) {
        chunk += line;
        if (chunk.length > 1 << 20) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    };
    await pipeline(Readable.from(chunks()), client.query(copyFrom(`COPY ${SCHEMA}.${table} (${columns}) FROM STDIN`)));
  } finally {
    await runner.release();
  }
}

/** The registry, one value per meter, group-period rows and a price: the state at gate closure. */
async function loadPeriod(dataSource: DataSource, meters: number, periodId: string, run: number): Promise<void> {
  const perGroup = Math.ceil(meters / GROUPS);
  // Each run has its own groups, so one run's registry does not expect meters in another's.
  const groupOf = (g: number) => `BG${run}-${String(g).padStart(2, '0')}`;
  const meterOf = (i: number) => ({ id: `DE${String(i).padStart(31, '0')}`, group: groupOf(Math.floor(i / perGroup)), direction: i % 4 === 0 ? 'production' : 'consumption', energy: (i * 7_919) % 40_000 });
  const validFrom = formatInstant(BASE_PERIOD_MS - 86_400_000);
  const prefix = periodId.slice(0, 16);
  await copyRows(dataSource, 'meter_points', 'meter_id, valid_from, direction, group_id', function* () {
    for (let i = 0; i < meters; i++) {
      const m = meterOf(i);
      yield `${prefix}-${m.id}\t${validFrom}\t${m.direction}\t${m.group}\n`;
    }
  });
  // The day's partition, as the settlement worker creates it ahead in production.
  await createMeterValuePartitions(dataSource, Date.parse(periodId), 1);
  const [{ first }]: { first: string }[] = await dataSource.query(`SELECT nextval('meter_value_seq') AS first`);
  await dataSource.query(`SELECT setval('meter_value_seq', $1)`, [String(BigInt(first) + BigInt(meters))]);
  await copyRows(dataSource, 'meter_values', 'seq, group_id, period_id, meter_id, direction, energy_wh, substituted, source_event_id', function* () {
    for (let i = 0; i < meters; i++) {
      const m = meterOf(i);
      yield `${BigInt(first) + BigInt(i + 1)}\t${m.group}\t${periodId}\t${prefix}-${m.id}\t${m.direction}\t${m.energy}\tf\tbench\n`;
    }
  });
  const groups: string[] = Array.from({ length: Math.ceil(meters / perGroup) }, (_, g) => groupOf(g));
  const start = new Date(Date.parse(periodId));
  await dataSource.query(
    `INSERT INTO group_periods (group_id, period_id, period_length, period_start, gate_deadline, needs_check)
     SELECT g, $2, 'PT15M', $3, $4, true FROM unnest($1::text[]) AS g`,
    [groups, periodId, start, new Date(start.getTime() + 15 * 60_000 + 30 * 60_000)],
  );
  await storeManifests(dataSource, periodId, groups, meters, perGroup, (i) => {
    const m = meterOf(i);
    return { meterId: `${prefix}-${m.id}`, direction: m.direction as Direction, energyWh: BigInt(m.energy) };
  });
  await dataSource.query(`INSERT INTO prices (period_id, imbalance_price_per_mwh, energy_price_per_mwh) VALUES ($1, 12345, 8000)`, [periodId]);
  await dataSource.query(`ANALYZE ${SCHEMA}.meter_values; ANALYZE ${SCHEMA}.meter_points`);
}

const BENCH_MPO = '0x00000000000000000000000000000000000000a1';
const SIGNATURE = `0x${'11'.repeat(65)}`;

/** meter-ingest's manifest of each group-period, stored as balancing's manifests handler stores it on `meter.manifest.updated`. */
async function storeManifests(dataSource: DataSource, periodId: string, groups: string[], meters: number, perGroup: number, valueOf: (i: number) => ManifestValue): Promise<void> {
  const repository = new IngestManifestsRepository();
  for (const [g, groupId] of groups.entries()) {
    const values: ManifestBatchValue[] = [];
    for (let i = g * perGroup; i < Math.min(meters, (g + 1) * perGroup); i++) {
      // Two batches per group, as an MPO delivering a group's meters in two files.
      const batchId = `0x${(i % 2 === 0 ? 'aa' : 'bb').repeat(32)}`;
      values.push({ ...valueOf(i), mpo: BENCH_MPO, batchId, format: 'readings-json', signature: SIGNATURE });
    }
    const manifest = groupPeriodManifest(values);
    await repository.record(dataSource.manager, { groupId, periodId }, { revision: 1, count: manifest.count, digest: manifest.digest }, { groupId, periodId, revision: 1, ...manifest }, new Date());
  }
}

async function main(): Promise<void> {
  const database = await createTestDatabase();
  const dataSource = await openDataSource({ url: database.url, schema: SCHEMA, entities: MESSAGING_ENTITIES, migrations: MIGRATIONS, poolSize: 4 });
  const keccak = await loadKeccak256();
  const roots = createMerkleRoots(MERKLE_THREADS, keccak);
  const results: Record<number, number> = {};
  try {
    log(`bench:balancing — settle one period of N meters in ${GROUPS} groups from Postgres rows to settled events in the outbox`);
    log('timed: load state (registry ⋈ values), check the values against meter-ingest\'s manifest, decide (gate, netting, pricing, ledger posting, Merkle root), store version + ledger + outbox rows, market summary');
    // Warm-up, not timed: worker threads load and JIT-compile on their first trees.
    const warmUpPeriod = formatInstant(BASE_PERIOD_MS - 15 * 60_000);
    await loadPeriod(dataSource, 5_000, warmUpPeriod, 9);
    const warmUpStarted = performance.now();
    await new GroupPeriodSettler(dataSource, roots, keccak, LEAF_SALT_KEY, new ManualClock(Date.parse(warmUpPeriod) + 16 * 60_000), DEFAULT_POISON_POLICY, MANIFEST).settleDue(2);
    log(`warm-up: 5,000 meters in ${GROUPS} groups settled in ${((performance.now() - warmUpStarted) / 1000).toFixed(2)} s (not timed)`);
    for (const [index, meters] of SIZES.entries()) {
      const periodId = formatInstant(BASE_PERIOD_MS + index * 15 * 60_000);
      const loadStarted = performance.now();
      await loadPeriod(dataSource, meters, periodId, index);
      log(`${meters.toLocaleString('en')} meters: loaded registry and values in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s (not timed)`);
      // The clock stands just after the period's end: every gate closes by completeness.
      const settler = new GroupPeriodSettler(dataSource, roots, keccak, LEAF_SALT_KEY, new ManualClock(Date.parse(periodId) + 16 * 60_000), DEFAULT_POISON_POLICY, MANIFEST);
      const cpuBefore = await cpuSnapshot(dataSource);
      const started = performance.now();
      const settled = await settler.settleDue(2);
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = await cpuSnapshot(dataSource);
      const cpuSeconds = cpuAfter.process - cpuBefore.process;
      const mainCpuSeconds = cpuAfter.main - cpuBefore.main;
      const postgresCpuSeconds = cpuAfter.postgres - cpuBefore.postgres;
      const meterCount = settled.reduce((sum, v) => sum + v.totals.meterCount, 0);
      const [{ closed }]: { closed: string }[] = await dataSource.query(`SELECT count(*) AS closed FROM outbox WHERE event_type = 'balancing.period.closed' AND payload LIKE $1`, [`%${periodId}%`]);
      const [{ attested }]: { attested: string }[] = await dataSource.query(
        `SELECT count(*) AS attested FROM outbox WHERE event_type = 'balancing.period.settled' AND payload LIKE $1 AND payload LIKE '%"inputsDigest":"0x%'`,
        [`%${periodId}%`],
      );
      if (settled.length !== GROUPS || meterCount !== meters || closed !== '1' || Number(attested) !== GROUPS) {
        throw new Error(`expected ${GROUPS} groups settled on their manifests, ${meters} meters and one market summary; got ${settled.length} (${attested} attested), ${meterCount}, ${closed}`);
      }
      for (const version of settled) {
        if (version.totals.feedInWh - version.totals.feedOutWh - version.totals.scheduleNetWh !== version.totals.imbalanceWh) throw new Error(`conservation broken in ${version.groupId}`);
      }
      results[meters] = seconds;
      log(`${meters.toLocaleString('en')} meters: settled ${settled.length} groups in ${seconds.toFixed(2)} s (${Math.round(meters / seconds).toLocaleString('en')} meters/s; CPU: ${cpuSeconds.toFixed(2)} s in this process, of it ${mainCpuSeconds.toFixed(2)} s on the main thread; ${postgresCpuSeconds.toFixed(2)} s in Postgres backends), peak RSS so far ${Math.round(peakRss / 2 ** 20)} MiB`);
    }
  } finally {
    await roots.close();
    await dataSource.destroy();
    await database.drop();
    clearInterval(sampler);
  }
  const peakRssMiB = Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20);
  log(JSON.stringify({ seconds10k: round(results[10_000]), seconds100k: round(results[100_000]), seconds1M: round(results[1_000_000]), peakRssMiB }));
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:balancing failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
