import { JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { headers as natsHeaders, type JsMsg } from 'nats';
import { BalancingPeriodSettled, BalancingPeriodClosed, type EventEnvelope } from '@gridledger/events';
import { MeterLeaf, MeterMerkleTree, leafSalt, leafSaltVersionKey, loadKeccak256 } from '@gridledger/domain';
import type { MessagingClient } from '@gridledger/messaging';
import { deployCascade, groupKey, periodStartSeconds } from '@gridledger/contracts';
import { authEnvironment, signSession, type AuthEnvironment } from '@gridledger/auth';
import {
  AnvilInstance,
  TestDatabase,
  connectTestMessaging,
  testNatsEnv,
  anvilDevKey,
  createTestDatabase,
  deleteNamespaceStreams,
  randomNamespace,
  spawnService,
  startAnvil,
  waitFor,
  type SpawnedService,
} from '@gridledger/testing';
import { Client } from 'pg';

/**
 * Keys of anvil's dev accounts by role in these tests: the operator deploys the cascade and
 * holds MARKET_OPERATOR (it reads alarms and any proof), `mpo` is GRP-ALPHA's MPO (a proof
 * reader of that group), the stranger holds no role.
 */
export const KEYS = { operator: anvilDevKey(0), brp: anvilDevKey(1), tso: anvilDevKey(2), mpo: anvilDevKey(3), stranger: anvilDevKey(5) };
export const GROUPS = ['GRP-ALPHA', 'GRP-BETA'] as const;
/** Balancing's leaf salt key, as the tests' stand-in for balancing uses it. */
export const LEAF_SALT_KEY = Buffer.alloc(32, 0x77);

export interface SettledInput {
  readonly groupId: string;
  readonly periodId: string;
  readonly version: number;
  readonly meters: readonly { meterId: string; direction: 0 | 1; energyWh: bigint }[];
  readonly scheduleNetWh?: bigint;
  /** The manifest digest balancing settled the version on (absent: not attested). */
  readonly inputsDigest?: string;
}

/** A group's period with a real Merkle tree over its meters, as balancing would settle it. */
export async function settledPeriod(input: SettledInput): Promise<{ envelope: EventEnvelope; tree: MeterMerkleTree; leaves: MeterLeaf[] }> {
  const keccak = await loadKeccak256();
  const start = periodStartSeconds(input.periodId);
  const versionKey = leafSaltVersionKey(LEAF_SALT_KEY, input.groupId, start, input.version);
  const leaves: MeterLeaf[] = input.meters.map((m) => ({ meterId: m.meterId, periodStartSeconds: start, direction: m.direction, energyWh: m.energyWh, salt: leafSalt(versionKey, m.meterId, m.direction, keccak) }));
  const tree = MeterMerkleTree.build(leaves, keccak);
  const feedIn = input.meters.filter((m) => m.direction === 1).reduce((s, m) => s + m.energyWh, 0n);
  const feedOut = input.meters.filter((m) => m.direction === 0).reduce((s, m) => s + m.energyWh, 0n);
  const scheduleNet = input.scheduleNetWh ?? 0n;
  const envelope = BalancingPeriodSettled.create({
    idParts: [input.groupId, input.periodId, String(input.version)],
    occurredAt: new Date(),
    data: {
      groupId: input.groupId,
      periodId: input.periodId,
      periodLength: 'PT15M',
      version: input.version,
      trigger: input.version === 1 ? 'complete' : 'correction',
      feedInWh: feedIn.toString(),
      feedOutWh: feedOut.toString(),
      scheduleNetWh: scheduleNet.toString(),
      imbalanceWh: (feedIn - feedOut - scheduleNet).toString(),
      imbalancePricePerMWh: null,
      imbalanceAmount: null,
      ledgerDigest: `0x${'11'.repeat(32)}`,
      merkleRoot: tree.root,
      meterCount: leaves.length,
      substitutedCount: 0,
      ...(input.inputsDigest ? { inputsDigest: input.inputsDigest } : {}),
    },
  });
  return { envelope, tree, leaves };
}

/** The committer's settings the finalizer shares (polling and chain timing), not its key. */
function finalizerSettings(committer: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(committer).filter(([name]) => name !== 'CHAIN_COMMITTER_KEY' && name.startsWith('CHAIN_')));
}

export function closedPeriod(periodId: string, revision: number, groups: readonly EventEnvelope[]): EventEnvelope {
  const data = groups.map((g) => (g as ReturnType<typeof BalancingPeriodSettled.create>).data);
  const sum = (pick: (d: (typeof data)[number]) => string) => data.reduce((s, d) => s + BigInt(pick(d)), 0n).toString();
  return BalancingPeriodClosed.create({
    idParts: [periodId, String(revision)],
    occurredAt: new Date(),
    data: {
      periodId,
      periodLength: 'PT15M',
      revision,
      groups: data.map((d) => ({
        groupId: d.groupId,
        version: d.version,
        feedInWh: d.feedInWh,
        feedOutWh: d.feedOutWh,
        scheduleNetWh: d.scheduleNetWh,
        imbalanceWh: d.imbalanceWh,
        merkleRoot: d.merkleRoot,
      })),
      totals: { feedInWh: sum((d) => d.feedInWh), feedOutWh: sum((d) => d.feedOutWh), scheduleNetWh: sum((d) => d.scheduleNetWh), imbalanceWh: sum((d) => d.imbalanceWh) },
    },
  });
}

/**
 * Everything one test file needs: its own anvil with the cascade deployed, its own database
 * and NATS namespace, a messaging client in that namespace, and the bridge as a process.
 */
export class BridgeHarness {
  anvil!: AnvilInstance;
  db!: TestDatabase;
  ns!: string;
  /** The operator's connection: streams, watching what the bridge publishes, proof responders. */
  messaging!: MessagingClient;
  /** Speaks as balancing's NATS user: only it may publish settled and closed periods. */
  balancing!: MessagingClient;
  cascadeAddress!: string;
  /** What read sessions are signed for: this anvil's chain and the cascade (its own RoleRegistry). */
  environment!: AuthEnvironment;
  bridge: SpawnedService | undefined;
  /** The TSO's finalizer: chain-bridge in CHAIN_MODE=finalizer, its own process and key (schema chain_finalizer). */
  finalizer: SpawnedService | undefined;
  private finalizerRunning = false;
  private pg!: Client;
  private readonly received: { subject: string; envelope: EventEnvelope; traceparent: string | undefined }[] = [];

  /** `groups`: the groups registered (with the BRP key as their BRP); default GROUPS. */
  async setUp(options: { anvilStatePath?: string; groups?: readonly string[] } = {}): Promise<void> {
    const groups = options.groups ?? GROUPS;
    this.anvil = await startAnvil({ statePath: options.anvilStatePath });
    const provider = new JsonRpcProvider(this.anvil.url, undefined, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 });
    const operator = new NonceManager(new Wallet(KEYS.operator, provider));
    const deployed = await deployCascade(operator, {
      groups: [...groups],
      // The tests replay fixed periods of March 2026: a ten-year window keeps them committable.
      correctionWindowSeconds: 10 * 365 * 24 * 3600,
      grants: [
        ...groups.map((groupId) => ({ role: 'BRP' as const, groupId, account: new Wallet(KEYS.brp).address })),
        { role: 'TSO', account: new Wallet(KEYS.tso).address },
        { role: 'MARKET_OPERATOR', account: new Wallet(KEYS.operator).address },
        ...(groups.includes('GRP-ALPHA') ? [{ role: 'MPO' as const, scope: 'GRP-ALPHA', account: new Wallet(KEYS.mpo).address }] : []),
      ],
    });
    this.cascadeAddress = deployed.cascadeAddress;
    this.environment = authEnvironment((await provider.getNetwork()).chainId, deployed.cascadeAddress);
    provider.destroy();
    this.db = await createTestDatabase();
    this.pg = new Client({ connectionString: this.db.url });
    await this.pg.connect();
    this.ns = randomNamespace();
    this.messaging = await connectTestMessaging({ namespace: this.ns, name: 'bridge-test' });
    this.balancing = await connectTestMessaging({ namespace: this.ns, name: 'balancing', user: 'balancing' });
    await this.messaging.ensureStreams();
    await this.watch('CHAIN');
    await this.watch('DEADLETTER');
  }

  async tearDown(): Promise<void> {
    await this.bridge?.kill();
    await this.finalizer?.kill();
    await this.pg?.end().catch(() => undefined);
    await this.messaging?.close();
    await this.balancing?.close();
    await this.anvil?.stop();
    await this.db?.drop();
    if (this.ns) await deleteNamespaceStreams(this.ns);
  }

  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: this.db.url,
      ...testNatsEnv(),
      NATS_NAMESPACE: this.ns,
      CHAIN_RPC_URL: this.anvil.url,
      CHAIN_CASCADE_ADDRESS: this.cascadeAddress,
      // The cascade is its own RoleRegistry: read sessions are checked against its roles.
      ROLE_REGISTRY_ADDRESS: this.cascadeAddress,
      ROLE_MIRROR_POLL_MS: '200',
      CHAIN_COMMITTER_KEY: KEYS.brp,
      CHAIN_CONFIRMATIONS: '2',
      CHAIN_POLL_INTERVAL_MS: '100',
      CHAIN_RETRY_MAX_MS: '800',
      CHAIN_RPC_TIMEOUT_MS: '1000',
      LOG_LEVEL: 'info',
      ...overrides,
    };
  }

  /**
   * Starts the committer with `overrides`, and the finalizer beside it unless one runs already
   * (a CHAIN_TSO_KEY in `overrides` is the finalizer's and restarts it with that key).
   */
  async startBridge(overrides: Record<string, string> = {}): Promise<SpawnedService> {
    const { CHAIN_TSO_KEY: tsoKey, ...committer } = overrides;
    this.bridge = await spawnService({ entry: 'services/chain-bridge/src/main.ts', env: this.env(committer), readyTimeoutMs: 60_000 });
    if (tsoKey !== undefined || !this.finalizerRunning) await this.startFinalizer({ ...finalizerSettings(committer), CHAIN_TSO_KEY: tsoKey ?? KEYS.tso });
    return this.bridge;
  }

  async startFinalizer(overrides: Record<string, string> = {}): Promise<SpawnedService> {
    await this.finalizer?.kill();
    const { CHAIN_COMMITTER_KEY: _committerKey, ...env } = this.env({ CHAIN_MODE: 'finalizer', CHAIN_TSO_KEY: KEYS.tso, ...overrides });
    const finalizer = await spawnService({ entry: 'services/chain-bridge/src/main.ts', env, readyTimeoutMs: 120_000 });
    this.finalizer = finalizer;
    this.finalizerRunning = true;
    void finalizer.exited.then(() => {
      if (this.finalizer === finalizer) this.finalizerRunning = false;
    });
    return finalizer;
  }

  /** The Authorization header of a read session of `key` (none: no header). */
  async session(key: string | undefined): Promise<Record<string, string>> {
    return key === undefined ? {} : { authorization: await signSession(new Wallet(key), this.environment) };
  }

  /** GET `path` of the committer (or the finalizer) in a read session of `key` (none: without a session). */
  async read(path: string, key: string | undefined, process: 'bridge' | 'finalizer' = 'bridge'): Promise<Response> {
    const service = process === 'bridge' ? this.bridge : this.finalizer;
    if (!service) throw new Error(`the ${process} is not running`);
    return fetch(`${service.url}${path}`, { headers: await this.session(key) });
  }

  async publishSettled(envelope: EventEnvelope, traceparent?: string): Promise<void> {
    const data = (envelope as ReturnType<typeof BalancingPeriodSettled.create>).data;
    if (traceparent) {
      // Set on the wire by hand: this test process runs no OpenTelemetry propagator.
      const hdrs = natsHeaders();
      hdrs.set('traceparent', traceparent);
      await this.balancing.js.publish(this.balancing.subject(BalancingPeriodSettled.subject(data.groupId)), JSON.stringify(envelope), { msgID: this.balancing.msgId(envelope.id), headers: hdrs });
      return;
    }
    await this.balancing.publishEvent(BalancingPeriodSettled, envelope as ReturnType<typeof BalancingPeriodSettled.create>, data.groupId);
  }

  /** The traceparent header a published event of this id carried. */
  traceparentOf(eventId: string): string | undefined {
    return this.received.find((e) => e.envelope.id === eventId)?.traceparent;
  }

  async publishClosed(envelope: EventEnvelope): Promise<void> {
    await this.balancing.publishEvent(BalancingPeriodClosed, envelope as ReturnType<typeof BalancingPeriodClosed.create>);
  }

  /** Events the bridge published (CHAIN and DEADLETTER streams), in order. */
  events(type?: string): EventEnvelope[] {
    return this.received.filter((e) => type === undefined || e.envelope.type === type).map((e) => e.envelope);
  }

  async waitForEvents(type: string, count: number, timeoutMs = 30_000): Promise<EventEnvelope[]> {
    return waitFor(() => (this.events(type).length >= count ? this.events(type) : undefined), { timeoutMs, intervalMs: 50, what: `${count} × ${type}` });
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pg.query(sql, params)).rows as T[];
  }

  async mine(blocks: number): Promise<void> {
    for (let i = 0; i < blocks; i++) await this.anvil.rpc('evm_mine');
  }

  /** Every PeriodCommitted log on chain for a group and period (plain eth_getLogs). */
  async commitLogs(groupId: string, periodId: string): Promise<{ version: number; inputsDigest: string; txHash: string; blockNumber: number }[]> {
    const { cascadeInterface } = await import('../src/chain/cascade.client');
    const event = cascadeInterface.getEvent('PeriodCommitted');
    const logs = await this.anvil.rpc<{ topics: string[]; data: string; transactionHash: string; blockNumber: string }[]>('eth_getLogs', [
      {
        address: this.cascadeAddress,
        fromBlock: '0x0',
        toBlock: 'latest',
        topics: [event?.topicHash, groupKey(groupId), `0x${periodStartSeconds(periodId).toString(16).padStart(64, '0')}`],
      },
    ]);
    return logs.map((log) => ({
      version: Number(cascadeInterface.parseLog(log)?.args[2]),
      inputsDigest: String(cascadeInterface.parseLog(log)?.args[6]),
      txHash: log.transactionHash,
      blockNumber: Number(BigInt(log.blockNumber)),
    }));
  }

  private async watch(stream: 'CHAIN' | 'DEADLETTER'): Promise<void> {
    const consumer = await this.messaging.js.consumers.get(this.messaging.streamName(stream));
    const messages = await consumer.consume();
    void (async () => {
      for await (const msg of messages as AsyncIterable<JsMsg>) {
        this.received.push({
          subject: this.messaging.ns.unprefix(msg.subject),
          envelope: JSON.parse(new TextDecoder().decode(msg.data)) as EventEnvelope,
          traceparent: msg.headers?.get('traceparent') || undefined,
        });
      }
    })();
  }
}
