/**
 * Sustained intake end to end: meter-ingest runs as its own process (as in production) on
 * a fresh database and NATS namespace; 100,000 meters are registered, signed batches of
 * 10,000 interval values are prepared (not timed), then posted over HTTP, two in flight; the clock stops when
 * the last measured event is in JetStream (accepted, validated, persisted, published).
 * Beside it: the raw Postgres COPY rate in the same database (median of three, before and after), and the service's peak RSS
 * sampled as the number of batches grows. Last line: one JSON object.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { Wallet } from 'ethers';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { formatInstant } from '@gridledger/domain';
import { MARKET, bodySha256, signRequest, type AuthEnvironment } from '@gridledger/auth';
import { deployRoleChain } from '@gridledger/contracts';
import { anvilDevKey, connectTestNats, createTestDatabase, deleteNamespaceStreams, randomNamespace, spawnService, startAnvil, testNatsEnv, waitFor } from '@gridledger/testing';

const METERS = Number(process.env.BENCH_METERS ?? 100_000);
const BATCH_VALUES = Number(process.env.BENCH_BATCH_VALUES ?? 10_000);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 100);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 2);
/** Service processes sharing the database and namespace (the way it scales out); default one. */
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1);
/** `--grow N`: fill the tables with N values instead, and compare the intake rate over the first and the last `--window` values. */
const GROW = Number(argument('--grow') ?? 0);
const GROW_WINDOW = Math.min(Number(argument('--window') ?? 5_000_000), Math.floor(GROW / 2));
const GROUPS = 20;
/** Batches that hold one quarter hour of every meter. */
const BATCHES_PER_PERIOD = Math.max(1, Math.floor(METERS / BATCH_VALUES));
/** The young generation meter-ingest runs with in production: a batch's objects die young instead of being promoted. */
const SERVICE_NODE_OPTIONS = '--max-semi-space-size=64';
const FIRST_PERIOD_MS = Date.parse('2026-03-01T00:00:00Z');
const QUARTER_HOUR_MS = 900_000;

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const meterId = (i: number): string => `DE-MELO-${i.toString().padStart(8, '0')}`;
const groupOf = (i: number): string => `BG-${(i % GROUPS).toString().padStart(2, '0')}`;

function peakRssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** CPU seconds the process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds of every Postgres backend serving the bench database, by pid. */
async function backendCpu(databaseUrl: string): Promise<Map<number, number>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
    const cpu = new Map<number, number>();
    for (const { pid } of rows) {
      try {
        cpu.set(pid, cpuSeconds(pid));
      } catch {
        // The backend ended between the query and the read.
      }
    }
    return cpu;
  } finally {
    await client.end();
  }
}

/** Keep-alive connections; node:http costs the client a few ms less per megabyte than fetch. */
const agent = new Agent({ keepAlive: true });

function post(url: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return new Promise((resolve, reject) => {
    const sent = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers } }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('error', reject);
      response.on('end', () => {
        if ((response.statusCode ?? 500) >= 300) reject(new Error(`${url} answered ${String(response.statusCode)}: ${text.slice(0, 300)}`));
        else resolve(JSON.parse(text) as Record<string, unknown>);
      });
    });
    sent.on('error', reject);
    sent.end(bytes);
  });
}

/** The bench's registry, whose environment every request is signed for. */
let environment: AuthEnvironment;

async function signedPost(url: string, path: string, body: string, signer: Wallet): Promise<Record<string, unknown>> {
  const headers = await signRequest(signer, environment, { method: 'POST', path, body });
  return post(`${url}${path}`, body, headers);
}

interface SignedBatchRequest {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

/** Batch n as its head-end sends it: the bytes and the signed request headers (nonce: the body's digest; valid 15 minutes). */
async function signedBatch(signer: Wallet, n: number): Promise<SignedBatchRequest> {
  const body = Buffer.from(batchBody(signer, n), 'utf8');
  const headers = await signRequest(signer, environment, { method: 'POST', path: '/readings', body }, { nonce: bodySha256(body), ttlSeconds: 15 * 60 });
  return { body, headers };
}

async function registerMeters(url: string, operator: Wallet, mpo: string, dso: string): Promise<void> {
  const started = Date.now();
  for (let from = 0; from < METERS; from += 10_000) {
    const meters = [];
    for (let i = from; i < Math.min(METERS, from + 10_000); i += 1) {
      meters.push({ meterId: meterId(i), direction: i % 3 === 0 ? 'production' : 'consumption', mpo, dso, gridArea: 'GA-BENCH', groupId: groupOf(i), supplier: null, connectionLimitW: '30000', validFrom: '2026-01-01T00:00:00Z' });
    }
    await signedPost(url, '/meters', JSON.stringify({ meters }), operator);
  }
  console.log(`registered ${METERS.toLocaleString('en')} meters in ${Date.now() - started} ms`);
}

/**
 * Batch n: meters [k·BATCH_VALUES, (k+1)·BATCH_VALUES) for one quarter hour, built
 * as text, the way a head-end writes it; the request signature covers its SHA-256 (one
 * signature per batch, not per value).
 */
function batchBody(wallet: Wallet, n: number): string {
  const periodId = formatInstant(FIRST_PERIOD_MS + Math.floor(n / BATCHES_PER_PERIOD) * QUARTER_HOUR_MS);
  const first = (n % BATCHES_PER_PERIOD) * BATCH_VALUES;
  let list = '';
  for (let j = 0; j < BATCH_VALUES; j += 1) {
    const i = (first + j) % METERS;
    list += `${j === 0 ? '' : ','}{"energyWh":"${100 + ((i * 7 + n) % 5000)}","meterId":"${meterId(i)}","periodId":"${periodId}","quality":"measured"}`;
  }
  return `{"intervals":[${list}],"mpo":"${wallet.address}"}`;
}

async function copyRate(databaseUrl: string): Promise<number> {
  const rows = 500_000;
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE TABLE copy_probe (meter_id text, period_start timestamptz, period_minutes smallint, energy_wh bigint, quality text, group_id text, direction text, batch_seq bigint)`);
    const started = process.hrtime.bigint();
    const stream = client.query(copyFrom('COPY copy_probe FROM STDIN'));
    const done = new Promise<void>((resolve, reject) => stream.on('finish', resolve).on('error', reject));
    let chunk = '';
    for (let i = 0; i < rows; i += 1) {
      chunk += `${meterId(i % METERS)}\t2026-03-01T00:00:00.000Z\t15\t${i % 5000}\tmeasured\t${groupOf(i)}\tconsumption\t1\n`;
      if (chunk.length > 65_536) {
        if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
        chunk = '';
      }
    }
    stream.end(chunk);
    await done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await client.query(`DROP TABLE copy_probe`);
    return Math.round(rows / seconds);
  } finally {
    await client.end();
  }
}

interface GrowContext {
  readonly urlFor: (n: number) => string;
  readonly mpo: Wallet;
  readonly db: string;
  readonly baseline: number;
  readonly publishedSoFar: () => Promise<number>;
  /** Counts the measured events in the stream and purges exactly those counted; returns the count. */
  readonly countAndPurge: () => Promise<number>;
  /** The service processes, whose CPU is sampled every hundred batches. */
  readonly servicePids: readonly number[];
}

/** CPU seconds so far of the service processes and of the bench database's Postgres backends. */
interface CpuSample {
  readonly service: number;
  readonly postgres: Map<number, number>;
}

async function cpuSample(servicePids: readonly number[], databaseUrl: string): Promise<CpuSample> {
  return { service: servicePids.reduce((sum, pid) => sum + cpuSeconds(pid), 0), postgres: await backendCpu(databaseUrl) };
}

/** CPU milliseconds per batch between two samples (a backend started in between counts whole; one that ended, not at all). */
function cpuPerBatch(from: CpuSample, to: CpuSample, batches: number): { service: number; postgres: number } {
  let postgres = 0;
  for (const [pid, seconds] of to.postgres) postgres += seconds - (from.postgres.get(pid) ?? 0);
  return { service: ((to.service - from.service) * 1000) / batches, postgres: (postgres * 1000) / batches };
}

/** cpuPerBatch in whole milliseconds, as the JSON line prints it. */
function roundedCpu(cpu: { service: number; postgres: number }): { service: number; postgres: number } {
  return { service: Math.round(cpu.service), postgres: Math.round(cpu.postgres) };
}

/**
 * `--grow N`: N values into the service (batches of BATCH_VALUES, a quarter hour of
 * METERS meters after another, so the days and their partitions follow each other), the
 * accepted rate over the first and the last window, and growthRatio = last / first. The
 * bench consumes the events it checks: every 100 batches it waits until they are all in
 * JetStream and purges the stream (test streams are capped at 256 MiB).
 */
async function grow(context: GrowContext): Promise<void> {
  const batches = Math.ceil(GROW / BATCH_VALUES);
  const windowBatches = Math.max(1, Math.floor(GROW_WINDOW / BATCH_VALUES));
  const doneAt: number[] = new Array(batches);
  // CPU at every hundredth batch: whether a slower window cost more CPU per batch (the
  // tables' doing) or got less of the machine (others' load), which the rates cannot tell.
  const cpuAt = new Map<number, CpuSample>([[0, await cpuSample(context.servicePids, context.db)]]);
  const started = performance.now();
  let next = 0;
  let published = 0;
  let expected = context.baseline;
  let checkpoint = Promise.resolve();
  const worker = async () => {
    for (;;) {
      const n = next++;
      if (n >= batches) return;
      // Batches are taken in order; at each hundredth, wait for the events so far, then purge.
      if (n > 0 && n % 100 === 0) {
        const upTo = context.baseline + n * GROUPS;
        checkpoint = checkpoint.then(async () => {
          await waitFor(async () => published + (await context.publishedSoFar()) >= upTo, { timeoutMs: 300_000, intervalMs: 50, what: `events of ${n} batches` });
          published += await context.countAndPurge();
          cpuAt.set(n, await cpuSample(context.servicePids, context.db));
        });
        await checkpoint;
      }
      const batch = await signedBatch(context.mpo, n);
      const answer = await post(`${context.urlFor(n)}/readings`, batch.body, batch.headers);
      if (answer.accepted !== BATCH_VALUES) throw new Error(`batch ${n} accepted ${String(answer.accepted)}`);
      doneAt[n] = performance.now();
      if ((n + 1) % 100 === 0) {
        const values = (n + 1) * BATCH_VALUES;
        const lastSeconds = (doneAt[n] - (n >= 100 ? doneAt[n - 100] : started)) / 1000;
        console.log(`${values.toLocaleString('en')} values stored: ${Math.round((100 * BATCH_VALUES) / lastSeconds).toLocaleString('en')} values/s over the last 100 batches, ${((doneAt[n] - started) / 1000).toFixed(0)} s so far`);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  expected = context.baseline + batches * GROUPS;
  await waitFor(async () => published + (await context.publishedSoFar()) >= expected, { timeoutMs: 300_000, intervalMs: 50, what: 'every measured event in JetStream' });
  const seconds = (performance.now() - started) / 1000;
  cpuAt.set(batches, await cpuSample(context.servicePids, context.db));
  // Rates from the moment each window's batches were answered (two in flight: order is close to n).
  const firstSeconds = Math.max(...doneAt.slice(0, windowBatches)) / 1000 - started / 1000;
  const lastSeconds = (Math.max(...doneAt.slice(batches - windowBatches)) - Math.max(...doneAt.slice(0, batches - windowBatches))) / 1000;
  const firstRate = Math.round((windowBatches * BATCH_VALUES) / firstSeconds);
  const lastRate = Math.round((windowBatches * BATCH_VALUES) / lastSeconds);
  const client = new Client({ connectionString: context.db });
  await client.connect();
  try {
    const { rows } = await client.query<{ partitions: number; bytes: string }>(
      `SELECT count(*)::int AS partitions, sum(pg_total_relation_size(inhrelid))::text AS bytes FROM pg_inherits WHERE inhparent = 'meter_ingest.intervals'::regclass`,
    );
    console.log(`${(batches * BATCH_VALUES).toLocaleString('en')} values in ${seconds.toFixed(0)} s; intervals: ${rows[0].partitions} partitions, ${(Number(rows[0].bytes) / 2 ** 30).toFixed(2)} GiB with indexes`);
  } finally {
    await client.end();
  }
  const sampled = [...cpuAt.keys()].sort((a, b) => a - b);
  const firstTo = sampled.find((n) => n >= windowBatches) ?? batches;
  const lastFrom = [...sampled].reverse().find((n) => n <= batches - windowBatches) ?? 0;
  const firstCpu = roundedCpu(cpuPerBatch(cpuAt.get(0)!, cpuAt.get(firstTo)!, firstTo));
  const lastCpu = roundedCpu(cpuPerBatch(cpuAt.get(lastFrom)!, cpuAt.get(batches)!, batches - lastFrom));
  console.log(`CPU per batch: first window service ${firstCpu.service} ms, Postgres backends ${firstCpu.postgres} ms; last window service ${lastCpu.service} ms, Postgres backends ${lastCpu.postgres} ms`);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`first ${GROW_WINDOW.toLocaleString('en')} values: ${firstRate.toLocaleString('en')} values/s; last ${GROW_WINDOW.toLocaleString('en')}: ${lastRate.toLocaleString('en')} values/s (machine load average ${load})`);
  console.log(JSON.stringify({ values: batches * BATCH_VALUES, seconds: Math.round(seconds), windowValues: windowBatches * BATCH_VALUES, firstValuesPerSecond: firstRate, lastValuesPerSecond: lastRate, growthRatio: Math.round((lastRate / firstRate) * 1000) / 1000, cpuMsPerBatchFirst: firstCpu, cpuMsPerBatchLast: lastCpu }));
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const namespace = randomNamespace();
  // The role registry on a throwaway anvil: the market operator registers, the MPO holds its groups.
  const anvil = await startAnvil();
  const chain = await deployRoleChain(anvil.url, anvilDevKey(0), { pollMs: 1000 });
  environment = chain.environment;
  const operator = new Wallet(Wallet.createRandom().privateKey);
  const mpo = new Wallet(Wallet.createRandom().privateKey);
  await chain.grant('MARKET_OPERATOR', MARKET, operator.address);
  for (let g = 0; g < GROUPS; g += 1) await chain.grant('MPO', groupOf(g), mpo.address);
  const spawnReplica = () => spawnService({
    entry: 'services/meter-ingest/src/main.ts',
    // BENCH_SERVICE_NODE_ARGS: flags NODE_OPTIONS refuses, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
    nodeArgs: process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
    // V8 settings as deployed (services/meter-ingest/Dockerfile); BENCH_SERVICE_NODE_OPTIONS tries others.
    env: { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS ?? SERVICE_NODE_OPTIONS, ...testNatsEnv(), DATABASE_URL: db.url, NATS_NAMESPACE: namespace, HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...chain.env, METER_INGEST_CORRECTION_WINDOW_MS: String(3650 * 86_400_000) },
  });
  const replicas = [await spawnReplica()];
  for (let r = 1; r < REPLICAS; r += 1) replicas.push(await spawnReplica());
  const service = replicas[0];
  const urlFor = (n: number) => replicas[n % replicas.length].url;
  const servicePids = replicas.map((replica) => replica.pid);
  const nc = await connectTestNats({ name: 'bench-ingest' });
  try {
    await registerMeters(service.url, operator, mpo.address, Wallet.createRandom().address);
    const jsm = await nc.jetstreamManager();
    const stream = `METER_${namespace}`;
    const measuredSubject = `${namespace}.meter.intervals.measured.>`;
    const countMeasured = async () => (await jsm.streams.info(stream, { subjects_filter: measuredSubject })).state.subjects;
    const publishedSoFar = async () => Object.values((await countMeasured()) ?? {}).reduce((a, b) => a + b, 0);

    // Registration is setup, not intake: measure the intake's peak memory from here on.
    const afterRegistration = peakRssMiB(service.pid);
    for (const replica of replicas) writeFileSync(`/proc/${replica.pid}/clear_refs`, '5');
    console.log(`service RSS after registration ${afterRegistration.rss.toFixed(0)} MiB (peak so far ${afterRegistration.peak.toFixed(0)} MiB); peak reset for the intake`);

    // Warm-up, not counted: one quarter hour of every meter through each replica (a period
    // none of the measured batches uses), so the clock measures sustained intake: code
    // optimised, connections open, staging table made and the registry cache holding the
    // meters, as in a service that has been running (a restart reads each meter once).
    const firstWarmUp = Math.ceil(((GROW > 0 ? Math.ceil(GROW / BATCH_VALUES) : BATCHES) + 1000) / BATCHES_PER_PERIOD) * BATCHES_PER_PERIOD;
    await Promise.all(
      replicas.map(async (replica, r) => {
        for (let k = 0; k < BATCHES_PER_PERIOD; k += 1) {
          const batch = await signedBatch(mpo, firstWarmUp + r * BATCHES_PER_PERIOD + k);
          const warm = await post(`${replica.url}/readings`, batch.body, batch.headers);
          if (warm.accepted !== BATCH_VALUES) throw new Error(`warm-up accepted ${String(warm.accepted)}: ${JSON.stringify(warm).slice(0, 300)}`);
        }
      }),
    );
    await waitFor(async () => (await publishedSoFar()) >= replicas.length * BATCHES_PER_PERIOD * GROUPS, { timeoutMs: 60_000, what: 'warm-up events' });
    const baseline = await publishedSoFar();
    if (GROW > 0) {
      const countAndPurge = async () => {
        const { state } = await jsm.streams.info(stream, { subjects_filter: measuredSubject });
        await jsm.streams.purge(stream, { seq: state.last_seq + 1 });
        return Object.values(state.subjects ?? {}).reduce((a, b) => a + b, 0);
      };
      await grow({ urlFor, mpo, db: db.url, baseline, publishedSoFar, countAndPurge, servicePids });
      return;
    }

    // The files exist before they are sent: a head-end writes and signs them on its own
    // machine, so building them is not the intake's work and stays out of the clock (it
    // used to take a sixth of this machine's two cores while the service ran).
    // Raw COPY swings twofold within minutes on this machine (checkpoints, neighbours), so it
    // is measured three times around the intake and the median is the baseline.
    const copySamples = [await copyRate(db.url)];
    const preparing = performance.now();
    const requests: SignedBatchRequest[] = [];
    for (let n = 0; n < BATCHES; n += 1) requests.push(await signedBatch(mpo, n));
    console.log(`prepared ${BATCHES} signed batches in ${Math.round(performance.now() - preparing)} ms (not timed)`);

    const started = process.hrtime.bigint();
    const cpuBefore = await cpuSample(servicePids, db.url);
    const clientCpuBefore = process.cpuUsage();
    let next = 0;
    let accepted = 0;
    const samples: string[] = [];
    const worker = async () => {
      for (;;) {
        const n = next++;
        if (n >= BATCHES) return;
        const answer = await post(`${urlFor(n)}/readings`, requests[n].body, requests[n].headers);
        accepted += Number(answer.accepted);
        if (answer.accepted !== BATCH_VALUES) throw new Error(`batch ${n} accepted ${String(answer.accepted)}`);
        if ((n + 1) % 20 === 0) {
          const { rss, peak } = peakRssMiB(service.pid);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const line = `batches ${n + 1}: ${Math.round(accepted / seconds).toLocaleString('en')} values/s accepted so far, service RSS ${rss.toFixed(0)} MiB (peak ${peak.toFixed(0)} MiB)`;
          samples.push(line);
          console.log(line);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const expectedEvents = baseline + BATCHES * GROUPS;
    await waitFor(async () => (await publishedSoFar()) >= expectedEvents, { timeoutMs: 120_000, intervalMs: 20, what: 'every measured event in JetStream' });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const valuesPerSecond = Math.round((BATCHES * BATCH_VALUES) / seconds);
    const peak = Math.max(...replicas.map((r) => peakRssMiB(r.pid).peak));
    const { service: serviceCpuMs, postgres: postgresCpuMs } = cpuPerBatch(cpuBefore, await cpuSample(servicePids, db.url), BATCHES);
    const client = process.cpuUsage(clientCpuBefore);
    const clientCpuMs = (client.user + client.system) / 1000 / BATCHES;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`CPU per batch of ${BATCH_VALUES.toLocaleString('en')}: service ${serviceCpuMs.toFixed(0)} ms, its Postgres backends ${postgresCpuMs.toFixed(0)} ms, bench client ${clientCpuMs.toFixed(0)} ms (NATS and Postgres' background writers not included; machine load average ${load})`);
    console.log(`${(BATCHES * BATCH_VALUES).toLocaleString('en')} values (${REPLICAS} service process${REPLICAS > 1 ? 'es' : ''}) in ${BATCHES} batches of ${BATCH_VALUES.toLocaleString('en')} from ${METERS.toLocaleString('en')} meters: ${seconds.toFixed(2)} s end to end → ${valuesPerSecond.toLocaleString('en')} values/s (published ${expectedEvents - baseline} events)`);

    copySamples.push(await copyRate(db.url), await copyRate(db.url));
    const copyRowsPerSecond = [...copySamples].sort((a, b) => a - b)[1];
    console.log(`raw Postgres COPY in the same database: ${copyRowsPerSecond.toLocaleString('en')} rows/s (median of ${copySamples[0].toLocaleString('en')} before and ${copySamples.slice(1).map((rate) => rate.toLocaleString('en')).join(', ')} after the intake)`);
    console.log(`service peak RSS during intake: ${peak.toFixed(0)} MiB (samples above: flat as batches grow)`);
    console.log(JSON.stringify({ valuesPerSecond, copyRowsPerSecond, ratioToCopy: Math.round((valuesPerSecond / copyRowsPerSecond) * 1000) / 1000, peakRssMiB: Math.round(peak), copySamples }));
  } catch (error) {
    console.error(`service output (tail):\n${service.output().slice(-3000)}`);
    throw error;
  } finally {
    // BENCH_SERVICE_OUTPUT=file: the first replica's output, e.g. with V8's --trace-opt in BENCH_SERVICE_NODE_ARGS.
    if (process.env.BENCH_SERVICE_OUTPUT) writeFileSync(process.env.BENCH_SERVICE_OUTPUT, service.output());
    await nc.close();
    agent.destroy();
    for (const replica of replicas) await replica.stop();
    await deleteNamespaceStreams(namespace);
    await db.drop();
    chain.close();
    await anvil.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
