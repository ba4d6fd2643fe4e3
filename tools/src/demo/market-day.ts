import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Wallet } from 'ethers';
import { authEnvironment, bodySha256, signRequest, type AuthEnvironment } from '@gridledger/auth';
import { formatInstant, parsePeriodId } from '@gridledger/domain';
import { MarketPricesPublished } from '@gridledger/events';
import { connectMessaging, NATS_USER_NAMES, natsPasswordVariable, type MessagingClient } from '@gridledger/messaging';
import { seededRandom } from '@gridledger/testing';
import { ensureDatabase, startLocalStack, type LocalStack } from '../stack';
import { DEMO_GRID_AREA, setUpChain, walletAddress, type DemoChain } from './chain-setup';
import { SERVICE_NAMES, startServices, type DemoServices, type ServiceName } from './demo-services';
import { callJson, ServiceCallError } from './http';
import type { MarketDayOptions } from './options';
import { buildPopulation, type Population } from './population';
import { ReadingsFeed } from './readings-feed';
import { SignerLog } from './signer-log';
import { observeMarket, type MarketObservations } from './stream-observer';
import { collectSummary, type MarketDaySummary } from './summary';

/**
 * The main job: one simulated market day through the whole system. Brings up the local
 * stack (reusing what runs), deploys the contracts, starts the four services, registers the
 * market, feeds signed readings period by period, waits until every period is settled,
 * allocated, confirmed and finalized on chain, and gathers the summary. Stops what it started.
 */
export interface MarketDayHooks {
  /** Called after a period's readings were accepted; the e2e test kills a service here. */
  afterPeriodSubmitted?(periodIndex: number, services: DemoServices): Promise<void>;
  /** Stop what was started on SIGINT/SIGTERM (the CLI); tests leave signals to jest. */
  handleSignals?: boolean;
  /** More environment for every service (e.g. an OTLP endpoint in the trace test). */
  serviceEnv?: Record<string, string>;
  /** Infrastructure to run on instead of the local stack (the chaos suite and the latency bench own theirs). */
  startStack?(): Promise<LocalStack>;
  /** Called once the market is registered, before the first reading. */
  onRunning?(market: RunningMarket): void | Promise<void>;
  /** Called before a period's readings are sent (the latency bench paces the quarter hours here). */
  beforePeriodSubmitted?(periodIndex: number, services: DemoServices): Promise<void>;
  /** Called after the last period's readings were accepted, before waiting for the chain. */
  afterAllSubmitted?(): Promise<void>;
  /** Keep blocks coming with `evm_mine` every 500 ms (default true; a node with a block time needs none). */
  blockPacer?: boolean;
  /** Processes per service, all on the one database and namespace (default 1). */
  replicas?: number;
  /** Log a progress line every this many periods (default 8). */
  progressEvery?: number;
  /** `random`: any EVM node or broker this run starts goes on a free port (tests), not 8545/4222/5432. */
  stackPorts?: 'standard-first' | 'random';
  /** Called once the day is anchored, before anything stops: `--keep` and the console test use the open market here. */
  whileOpen?(market: OpenMarket): Promise<void>;
}

/** The running market, as `whileOpen` gets it. */
export interface OpenMarket {
  readonly services: DemoServices;
  readonly summary: MarketDaySummary;
  readonly natsUrl: string;
  /** The market operator's NATS password (the console logs in as the operator). */
  readonly natsOperatorPassword: string;
  readonly namespace: string;
  readonly rpcUrl: string;
  readonly cascadeAddress: string;
  /** The market operator (the dev node's first account, holding MARKET_OPERATOR): the console's re-drives sign in as it. */
  readonly operatorAddress: string;
}

/** The running market, for hooks that inject faults or measure. */
export interface RunningMarket {
  readonly stack: LocalStack;
  readonly services: DemoServices;
  readonly chain: DemoChain;
  readonly messaging: MessagingClient;
  readonly observations: MarketObservations;
  readonly population: Population;
  readonly periodIds: readonly string[];
  readonly databaseUrl: string;
  readonly namespace: string;
  /** Who signed what: every call site that signs as a participant appends here (the summary prints it). */
  readonly signers: SignerLog;
}

export interface MarketDayRun {
  readonly summary: MarketDaySummary;
  readonly population: Population;
  readonly observations: MarketObservations;
}

type Log = (line: string) => void;

export async function runMarketDay(options: MarketDayOptions, log: Log, hooks: MarketDayHooks = {}): Promise<MarketDayRun> {
  return driveMarketDay(options, log, hooks, async (market, expected) => {
    const anchored = await waitUntilAnchored(market.observations, market.population, market.periodIds, options.timeoutMs, log);
    if (!anchored) throw new Error(`not every period was anchored within ${options.timeoutMs / 1000} s: ${progressLine(market.observations, market.population.groups, market.periodIds)}`);
    const summary = await collectSummary({ ...market, expected });
    const rpcUrl = market.stack.rpcUrl ?? '';
    await hooks.whileOpen?.({ services: market.services, summary, natsUrl: market.stack.natsUrl, natsOperatorPassword: market.stack.natsPasswords.operator, namespace: market.namespace, rpcUrl, cascadeAddress: market.chain.cascadeAddress, operatorAddress: await market.chain.marketOperator.getAddress() });
    return { summary, population: market.population, observations: market.observations };
  });
}

/**
 * The day's machinery, ending in `finish` while everything still runs (the demo gathers its
 * summary there; the chaos suite its books, the latency bench its timings).
 */
export async function driveMarketDay<T>(
  options: MarketDayOptions,
  log: Log,
  hooks: MarketDayHooks,
  finish: (market: RunningMarket, expected: ReadonlyMap<string, ReadonlyMap<string, bigint>>) => Promise<T>,
): Promise<T> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const dayStartMs = Date.parse(`${options.day}T00:00:00Z`);
  const periodIds = Array.from({ length: options.periods }, (_, i) => formatInstant(dayStartMs + i * 15 * 60_000));
  const population = buildPopulation(options);
  log(`market: ${population.meters.length} meters in ${population.groups.length} groups, ${population.plants.length} plants, ${population.holdings.length} capacity holdings; day ${options.day}, ${options.periods} quarter hours`);

  const stack: LocalStack = hooks.startStack
    ? await hooks.startStack()
    : await startLocalStack({ evm: true, ports: hooks.stackPorts, handleSignals: hooks.handleSignals ?? true, log: (line) => log(`stack: ${line}`) });
  let services: DemoServices | undefined;
  let messaging: MessagingClient | undefined;
  let observations: MarketObservations | undefined;
  let pacer: { stop(): void } | undefined;
  try {
    const databaseUrl = await ensureDatabase(stack.adminDatabaseUrl, `gridledger_demo_${runId}`);
    const namespace = `demo${runId}`;
    log(`database ${new URL(databaseUrl).pathname.slice(1)}, NATS namespace ${namespace}`);
    if (!stack.rpcUrl) throw new Error('the local stack has no EVM node');
    const chain = await setUpChain(stack.rpcUrl, population.groups, `${options.seed}/${runId}`, {
      dso: population.dso.address,
      mpos: population.mpos.map((mpo) => mpo.address),
      plantOperator: population.plantOperator.address,
      plants: population.plants.map((plant) => plant.plantId),
    });
    const environment = authEnvironment(chain.chainId, chain.cascadeAddress);
    log(`contracts deployed: SettlementCascade at ${chain.cascadeAddress} (chain ${chain.chainId}); MARKET_OPERATOR, BRP, TSO, DSO and MPO roles granted`);
    const signers = new SignerLog();
    signers.name(await chain.marketOperator.getAddress(), 'market operator');
    signers.name(walletAddress(chain.committerKey), 'brp-committer');
    signers.name(walletAddress(chain.tsoKey), 'tso');
    signers.name(population.dso.address, 'dso');
    population.mpos.forEach((mpo, index) => signers.name(mpo.address, `mpo-${index + 1}`));
    if (hooks.blockPacer ?? true) pacer = chain.startBlockPacer(500);

    // Capacity holdings must be valid from the replayed day's start: capacity-market first runs
    // with its clock on the eve of that day while the market is registered, then again on the
    // real clock (its history stays monotonic: the eve comes before today).
    let capacityClockStart: string | undefined = formatInstant(dayStartMs - 3_600_000);
    services = await startServices((name) => ({ ...serviceEnv(name, { stack, databaseUrl, namespace, chain, capacityClockStart }), ...hooks.serviceEnv }), log, hooks.replicas ?? 1);
    // The demo plays the market operator on NATS: it publishes prices (market.>) and watches every stream.
    messaging = await connectMessaging({ url: stack.natsUrl, namespace, name: 'market-day-demo', credentials: { user: 'operator', password: stack.natsPasswords.operator } });
    await messaging.ensureStreams();
    observations = await observeMarket(messaging);

    await registerMarket(services, population, environment, formatInstant(dayStartMs), log, signers);
    capacityClockStart = undefined;
    await services.restart('capacity-market', { graceful: true });
    await publishPrices(messaging, periodIds, options.seed);
    signers.signed(await chain.marketOperator.getAddress(), 'period prices (market.prices.published, the operator\'s NATS user)', periodIds.length);
    log(`prices published for ${periodIds.length} periods`);
    const market: RunningMarket = { stack, services, chain, messaging, observations, population, periodIds, databaseUrl, namespace, signers };
    await hooks.onRunning?.(market);

    const feed = new ReadingsFeed(population, options.seed);
    const expected = new Map<string, ReadonlyMap<string, bigint>>();
    const startedAt = Date.now();
    for (let index = 0; index < periodIds.length; index += 1) {
      const submission = feed.periodSubmission(parsePeriodId(periodIds[index]), index === 0);
      expected.set(submission.periodId, submission.expected);
      await hooks.beforePeriodSubmitted?.(index, services);
      const running = services;
      // Each MPO signs its batch as a request; the nonce is the body's SHA-256 (the batch id).
      // A batch is all-or-nothing and idempotent: one that met a restarting meter-ingest is sent again.
      for (const batch of submission.jsonBatches) {
        await resending(async () => {
          const headers = await signRequest(batch.signer, environment, { method: 'POST', path: '/readings', body: batch.body }, { nonce: bodySha256(batch.body) });
          return callJson(`${running.url('meter-ingest')}/readings`, { text: batch.body, headers: { ...headers, 'content-type': 'application/json' } });
        });
        signers.signed(batch.signer.address, 'reading batch (POST /readings)');
      }
      const mscons = submission.mscons;
      if (mscons) {
        await resending(async () => {
          const headers = await signRequest(mscons.signer, environment, { method: 'POST', path: '/mscons', body: mscons.body }, { nonce: bodySha256(mscons.body) });
          return callJson(`${running.url('meter-ingest')}/mscons`, { text: mscons.body, headers });
        });
        signers.signed(mscons.signer.address, 'MSCONS file (POST /mscons)');
      }
      await hooks.afterPeriodSubmitted?.(index, services);
      if ((index + 1) % (hooks.progressEvery ?? 8) === 0 || index + 1 === periodIds.length) {
        log(`submitted ${index + 1}/${periodIds.length} periods · ${progressLine(observations, population.groups, periodIds)}`);
      }
      await backPressure(observations, population.groups, periodIds, index, options.window);
    }
    log(`all readings accepted in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; waiting for settlement and the chain`);
    await hooks.afterAllSubmitted?.();
    return await finish(market, expected);
  } finally {
    pacer?.stop();
    await observations?.stop();
    await messaging?.close();
    if (services) {
      log('stopping the services');
      await services.stopAll();
      log(`service logs (tails) in ${writeServiceLogs(services, runId)}`);
    }
    await stack.stop();
  }
}

/** Every NATS user's password in the variable its reader expects; each service picks its own. */
function natsPasswordEnv(stack: LocalStack): Record<string, string> {
  return Object.fromEntries(NATS_USER_NAMES.map((name) => [natsPasswordVariable(name), stack.natsPasswords[name]]));
}

function serviceEnv(
  name: ServiceName,
  context: { stack: LocalStack; databaseUrl: string; namespace: string; chain: DemoChain; capacityClockStart: string | undefined },
): Record<string, string> {
  const common = {
    NATS_URL: context.stack.natsUrl,
    // Each service logs in to NATS as its own user (docs/nats-security.md).
    ...natsPasswordEnv(context.stack),
    NATS_NAMESPACE: context.namespace,
    DATABASE_URL: context.databaseUrl,
    LOG_LEVEL: 'warn',
  };
  switch (name) {
    case 'meter-ingest':
      // The cascade is the role registry; the day is replayed after the fact (ten-year correction window).
      return { ...common, CHAIN_RPC_URL: context.stack.rpcUrl ?? '', ROLE_REGISTRY_ADDRESS: context.chain.cascadeAddress, METER_INGEST_CORRECTION_WINDOW_MS: String(3650 * 86_400_000) };
    case 'balancing':
      // The day is replayed after the fact: the gate closes on completeness, the deadline is a net.
      // Prices and schedules are signed, details and the ledger read in sessions: the cascade's roles.
      return { ...common, CHAIN_RPC_URL: context.stack.rpcUrl ?? '', ROLE_REGISTRY_ADDRESS: context.chain.cascadeAddress, BALANCING_GATE_DEADLINE_MS: String(14 * 86_400_000), BALANCING_SETTLE_INTERVAL_MS: '250', BALANCING_CORRECTION_WINDOW_MS: String(3650 * 86_400_000) };
    case 'capacity-market':
      // Writes are signed by the plant operator and the holders, checked against the cascade's roles.
      return {
        ...common,
        CHAIN_RPC_URL: context.stack.rpcUrl ?? '',
        ROLE_REGISTRY_ADDRESS: context.chain.cascadeAddress,
        ...(context.capacityClockStart ? { CAPACITY_CLOCK_START: context.capacityClockStart } : {}),
        CAPACITY_GRACE_MS: String(14 * 86_400_000),
        CAPACITY_WORKER_INTERVAL_MS: '250',
      };
    case 'chain-bridge':
      return {
        ...common,
        CHAIN_RPC_URL: context.stack.rpcUrl ?? '',
        CHAIN_CASCADE_ADDRESS: context.chain.cascadeAddress,
        ROLE_REGISTRY_ADDRESS: context.chain.cascadeAddress,
        CHAIN_COMMITTER_KEY: context.chain.committerKey,
        CHAIN_CONFIRMATIONS: '2',
        CHAIN_POLL_INTERVAL_MS: '250',
      };
    case 'chain-finalizer':
      // The TSO signs from its own process with its own key (separation of duties).
      return {
        ...common,
        CHAIN_MODE: 'finalizer',
        CHAIN_RPC_URL: context.stack.rpcUrl ?? '',
        CHAIN_CASCADE_ADDRESS: context.chain.cascadeAddress,
        ROLE_REGISTRY_ADDRESS: context.chain.cascadeAddress,
        CHAIN_TSO_KEY: context.chain.tsoKey,
        CHAIN_CONFIRMATIONS: '2',
        CHAIN_POLL_INTERVAL_MS: '250',
      };
    default: {
      const unknownService: never = name;
      throw new Error(`unknown service ${String(unknownService)}`);
    }
  }
}

async function registerMarket(services: DemoServices, population: Population, environment: AuthEnvironment, validFrom: string, log: Log, signers: SignerLog): Promise<void> {
  const meters = population.meters.map((meter) => ({
    meterId: meter.meterId,
    direction: meter.direction,
    mpo: population.mpos[meter.mpo].address,
    dso: population.dso.address,
    gridArea: DEMO_GRID_AREA,
    groupId: meter.groupId,
    supplier: meter.direction === 'consumption' ? 'Stadtwerke Demo' : null,
    connectionLimitW: meter.connectionLimitW.toString(),
    validFrom,
  }));
  for (let from = 0; from < meters.length; from += 1000) {
    // The DSO of the grid area registers its meter points, naming their MPOs.
    const body = JSON.stringify({ meters: meters.slice(from, from + 1000) });
    const headers = await signRequest(population.dso, environment, { method: 'POST', path: '/meters', body });
    await callJson(`${services.url('meter-ingest')}/meters`, { text: body, headers: { ...headers, 'content-type': 'application/json' } });
    signers.signed(population.dso.address, 'meter point registered (POST /meters)', Math.min(1000, meters.length - from));
  }
  log(`registered ${meters.length} meter points with meter-ingest`);
  const capacity = services.url('capacity-market');
  // Each capacity write is signed by the participant the rule names (docs/authorization.md).
  const signedPost = async (signer: Wallet, path: string, body: unknown, what: string, name: string): Promise<void> => {
    const text = JSON.stringify(body);
    const headers = await signRequest(signer, environment, { method: 'POST', path, body: text });
    await callJson(`${capacity}${path}`, { text, headers: { ...headers, 'content-type': 'application/json' } });
    signers.signed(signer.address, what, 1, name);
  };
  // The plant operator registers its plants, naming itself as their operator.
  const operator = population.plantOperator;
  for (const plant of population.plants) {
    await signedPost(operator, '/plants', { plantId: plant.plantId, kind: plant.kind, meterId: plant.meterId, capacityW: plant.capacityW.toString(), operator: operator.address, groupId: plant.groupId, feePerMWPeriodCents: '150' }, 'plant registered (POST /plants)', 'plant-operator');
  }
  const holders = new Map(population.holdings.map((h) => [h.holderId, h]));
  // Each holder registers itself under its address; independent: a few requests in flight (the latency bench registers 10,000).
  await inParallel([...holders.values()], 8, (holding) =>
    signedPost(holding.holder, '/holders', { holderId: holding.holderId, consumptionMeterId: holding.meterId, groupId: holding.groupId }, 'itself as capacity holder (POST /holders)', `holder ${holding.meterId}`),
  );
  // The plant operator issues. Issues of one plant queue on its stream's lock in capacity-market
  // (and never pass its capacity in any order), so a few go in flight: each costs the same however
  // many the plant already has (its snapshot), and signing and HTTP overlap the database work.
  await inParallel(population.holdings, 8, (holding) =>
    signedPost(operator, `/plants/${holding.plantId}/shares/issue`, { holderId: holding.holderId, sharesW: holding.sharesW.toString() }, 'share issue (POST /plants/{plantId}/shares/issue)', 'plant-operator'),
  );
  log(`registered ${population.plants.length} plants and ${holders.size} capacity holders with ${population.holdings.length} share issues`);
}

/** Runs `work` over the items with at most `limit` at a time, in order of start; the first failure fails all. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

async function publishPrices(messaging: MessagingClient, periodIds: readonly string[], seed: string): Promise<void> {
  const random = seededRandom(`${seed}/prices`);
  for (const periodId of periodIds) {
    const hour = new Date(periodId).getUTCHours();
    const energy = 6_000 + Math.round(4_000 * Math.sin((hour / 24) * Math.PI)) + Math.round(random() * 1_000);
    const imbalance = energy + 2_000 + Math.round(random() * 3_000);
    const envelope = MarketPricesPublished.create({
      data: { periodId, imbalancePricePerMWh: String(imbalance), energyPricePerMWh: String(energy) },
      idParts: [periodId, String(imbalance), String(energy)],
      occurredAt: new Date(),
    });
    await messaging.publishEvent(MarketPricesPublished, envelope);
  }
}

/** Keeps at most `window` periods in flight, so a small machine is not flooded. */
async function backPressure(observations: MarketObservations, groups: readonly string[], periodIds: readonly string[], index: number, window: number): Promise<void> {
  const mustBeSettled = index - window;
  if (mustBeSettled < 0) return;
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (groups.every((group) => observations.settled.has(`${group}|${periodIds[mustBeSettled]}`))) return;
    await sleep(200);
  }
}

export function progressLine(observations: MarketObservations, groups: readonly string[], periodIds: readonly string[]): string {
  const all = (map: Map<string, unknown>): number => periodIds.filter((p) => groups.every((g) => map.has(`${g}|${p}`))).length;
  const allocated = periodIds.filter((p) => observations.allocations.has(p)).length;
  const finalized = periodIds.filter((p) => observations.finalized.has(p)).length;
  return `settled ${all(observations.settled)} · allocated ${allocated} · confirmed ${all(observations.confirmed)} · finalized ${finalized}`;
}

/** Done when every period's latest settled versions are confirmed and finalized, and allocated. */
function anchoredEverywhere(observations: MarketObservations, population: Pick<Population, 'groups'>, periodIds: readonly string[]): boolean {
  return periodIds.every((periodId) => {
    const finalized = observations.finalized.get(periodId);
    if (!finalized) return false;
    if (!observations.allocations.has(periodId)) return false;
    return population.groups.every((group) => {
      const settled = observations.settled.get(`${group}|${periodId}`);
      const confirmed = observations.confirmed.get(`${group}|${periodId}`);
      const inFinal = finalized.data.groups.find((g) => g.groupId === group);
      return settled !== undefined && confirmed?.data.version === settled.data.version && inFinal?.version === settled.data.version;
    });
  });
}

/** Waits until every period is anchored everywhere (true), or the timeout passed (false). */
export async function waitUntilAnchored(observations: MarketObservations, population: Pick<Population, 'groups'>, periodIds: readonly string[], timeoutMs: number, log: Log): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = 0;
  let stableSince: number | null = null;
  while (Date.now() < deadline) {
    if (observations.rejected.length > 0) {
      const first = observations.rejected[0].data;
      throw new Error(`the chain-bridge rejected ${first.groupId} ${first.periodId} v${first.version}: ${first.code} ${first.reason}`);
    }
    if (anchoredEverywhere(observations, population, periodIds)) {
      // Quiet for a moment: a late correction would show up as a newer settled version.
      stableSince ??= Date.now();
      if (Date.now() - stableSince > 2_000) return true;
    } else {
      stableSince = null;
    }
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      log(`waiting · ${progressLine(observations, population.groups, periodIds)}`);
    }
    await sleep(250);
  }
  return false;
}

/** Sends again while meter-ingest is unreachable or restarting (connection refused, 5xx); 4xx answers are final. */
async function resending<T>(send: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      const transient = !(error instanceof ServiceCallError) || error.status >= 500;
      if (!transient || Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

function writeServiceLogs(services: DemoServices, runId: string): string {
  const dir = resolve(__dirname, '..', '..', '..', '.stack', 'logs', `demo-${runId}`);
  mkdirSync(dir, { recursive: true });
  for (const name of SERVICE_NAMES) writeFileSync(resolve(dir, `${name}.log`), services.output(name));
  return dir;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
