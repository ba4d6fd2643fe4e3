import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Wallet } from 'ethers';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { defineEvent } from '@gridledger/events';
import { PoisonEventError, startConsumer, STREAMS, type ConsumerRunner, type MessagingClient } from '@gridledger/messaging';
import { MARKET, bodySha256, signRequest } from '@gridledger/auth';
import { deployRoleChain, type RoleChain } from '@gridledger/contracts';
import { CreateMessagingTables1764000000000, MESSAGING_ENTITIES, openDataSource } from '@gridledger/persistence';
import { anvilDevKey, startAnvil, type AnvilInstance, createTestDatabase, deleteNamespaceStreams, MSCONS_SAMPLE_PATH, randomNamespace, spawnService, connectTestMessaging, testNatsEnv, waitFor, type SpawnedService, type TestDatabase } from '@gridledger/testing';
import { runCli } from '../src/cli/main';
import type { CliIo } from '../src/cli/exit-codes';

// The command line against real NATS, Postgres and a running meter-ingest process.

jest.setTimeout(120_000);

const REPO_ROOT = resolve(__dirname, '..', '..');
const LAUNCHER = resolve(REPO_ROOT, 'tools', 'bin', 'gridledger.js');
const SAMPLE_METER = 'US0001062600000001000000022345671';

const ParcelMeasured = defineEvent({
  type: 'meter.parcel.measured',
  schemaVersion: 1,
  domain: 'meter',
  entity: 'parcel',
  pastTense: 'measured',
  keyed: true,
  schema: z.object({ energyWh: z.string() }),
});

describe('gridledger command line (real NATS, Postgres, meter-ingest)', () => {
  const namespace = randomNamespace();
  const env = { ...testNatsEnv(), NATS_NAMESPACE: namespace };
  let db: TestDatabase;
  let messaging: MessagingClient;

  /** One command line in-process, output captured. */
  async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: CliIo = { out: (text) => void (out += text), err: (text) => void (err += text), env, errIsTTY: false };
    return { code: await runCli(argv, io), out, err };
  }

  /** The installed command, as an operator runs it: node tools/bin/gridledger.js … */
  function bin(argv: string[], extraEnv: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) =>
      execFile(process.execPath, [LAUNCHER, ...argv], { cwd: REPO_ROOT, env: { ...process.env, ...env, ...extraEnv } }, (error, stdout, stderr) =>
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    messaging = await connectTestMessaging({ namespace, name: 'cli-test' });
    await messaging.ensureStreams();
  });

  afterAll(async () => {
    await messaging?.close();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
  });

  describe('dead letters', () => {
    let consumerDb: DataSource;
    let runner: ConsumerRunner<readonly [typeof ParcelMeasured]>;
    let broken = true;

    beforeAll(async () => {
      consumerDb = await openDataSource({ url: db.url, schema: 'cli_consumer', entities: MESSAGING_ENTITIES, migrations: [CreateMessagingTables1764000000000] });
      await consumerDb.query(`CREATE TABLE cli_consumer.applied (event_id text PRIMARY KEY)`);
      runner = await startConsumer(messaging, consumerDb, {
        stream: STREAMS.METER.name,
        durable: 'cli-parcels',
        events: [ParcelMeasured] as const,
        filterSubjects: [ParcelMeasured.subject('P1')],
        handle: async (event, em) => {
          if (broken) throw new PoisonEventError('parcel meter unknown to the registry');
          await em.query(`INSERT INTO cli_consumer.applied VALUES ($1)`, [event.envelope.id]);
        },
      });
    });

    afterAll(async () => {
      await runner?.stop();
      await consumerDb?.destroy();
    });

    it('lists a dead letter made by libs/messaging, re-drives it by id, and the fixed consumer applies it', async () => {
      const parcel = ParcelMeasured.create({ idParts: ['cli', '1'], occurredAt: '2026-11-24T12:00:00Z', data: { energyWh: '1500' } });
      await messaging.publishEvent(ParcelMeasured, parcel, 'P1');

      const listed = await waitFor(async () => {
        const run = await cli(['dead-letters', 'list', '--consumer', 'cli-parcels', '--json']);
        const letters = (JSON.parse(run.out) as { deadLetters: { deadLetterId: string; consumer: string; subject: string; reason: string; stream: string }[] }).deadLetters;
        return run.code === 0 && letters.length === 1 ? letters : undefined;
      }, { timeoutMs: 20_000, what: 'the dead letter in `dead-letters list`' });
      expect(listed[0]).toMatchObject({ stream: 'METER', consumer: 'cli-parcels', subject: ParcelMeasured.subject('P1'), reason: 'rejected: parcel meter unknown to the registry' });

      const readable = await cli(['dead-letters', 'list', '--consumer', 'cli-parcels']);
      expect(readable.code).toBe(0);
      expect(readable.out).toContain(listed[0].deadLetterId);
      expect(readable.out).toContain('1 dead letter;');
      expect((await cli(['dead-letters', 'list', '--consumer', 'nobody'])).out).toBe('no dead letters of consumer nobody\n');

      const unknown = await cli(['dead-letters', 'redrive', 'no-such-letter']);
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain('no dead letter no-such-letter');

      broken = false;
      const redriven = await cli(['dead-letters', 'redrive', listed[0].deadLetterId, '--redrive-id', 'cli-fix-1', '--json']);
      expect(redriven.code).toBe(0);
      expect(JSON.parse(redriven.out)).toEqual({ redriven: 1, redriveId: 'cli-fix-1' });
      await waitFor(async () => (await consumerDb.query(`SELECT event_id FROM cli_consumer.applied`)).length === 1, { timeoutMs: 20_000, what: 'the re-driven parcel applied' });
      expect(await consumerDb.query(`SELECT event_id FROM cli_consumer.applied`)).toEqual([{ event_id: parcel.id }]);

      // --all with the same re-drive id: JetStream drops the copy, the consumer applies nothing twice.
      const streamCount = async () => (await messaging.jsm.streams.info(messaging.streamName('METER'))).state.messages;
      const before = await streamCount();
      const again = await cli(['dead-letters', 'redrive', '--all', '--consumer', 'cli-parcels', '--redrive-id', 'cli-fix-1']);
      expect(again).toMatchObject({ code: 0, out: 're-drove 1 dead letter (re-drive id cli-fix-1)\n' });
      expect(await streamCount()).toBe(before);
      expect(await consumerDb.query(`SELECT count(*)::int AS n FROM cli_consumer.applied`)).toEqual([{ n: 1 }]);
    });
  });

  it('stack status says what answers on the standard ports, as npm run stack -- status does', async () => {
    const status = await bin(['stack', 'status'], {});
    expect(status.code).toBe(0);
    // The standard ports, whatever this run's own infrastructure is (npm test may start its own elsewhere).
    expect(status.stdout).toMatch(/^NATS {5}127\.0\.0\.1:4222 {2}(up, .*JetStream|down \()/m);
    expect(status.stdout).toMatch(/^Postgres 127\.0\.0\.1:5432 {2}(up, |down \()/m);
    expect(status.stdout).toMatch(/^EVM {6}127\.0\.0\.1:8545 {2}(up, chain id|down \()/m);
    const wrong = await bin(['stack', 'down'], {});
    expect(wrong.code).toBe(2);
  });

  describe('import-mscons and outbox replay against a running meter-ingest', () => {
    let service: SpawnedService;
    let anvil: AnvilInstance;
    let chain: RoleChain;
    const mpo = Wallet.createRandom();
    const operator = Wallet.createRandom();
    const raw = readFileSync(MSCONS_SAMPLE_PATH);
    /** Where the CLI signs for: the registry meter-ingest runs with (flags or CHAIN_RPC_URL / ROLE_REGISTRY_ADDRESS). */
    const registryFlags = () => ['--registry', chain.registryAddress, '--rpc', anvil.url];

    beforeAll(async () => {
      anvil = await startAnvil();
      chain = await deployRoleChain(anvil.url, anvilDevKey(0));
      await chain.grant('MARKET_OPERATOR', MARKET, operator.address);
      await chain.grant('MPO', 'BG-1', mpo.address);
      service = await spawnService({
        entry: 'services/meter-ingest/src/main.ts',
        env: { DATABASE_URL: db.url, ...testNatsEnv(), NATS_NAMESPACE: namespace, ...chain.env, METER_INGEST_CORRECTION_WINDOW_MS: String(20 * 365 * 86_400_000), LOG_LEVEL: 'error', HTTP_HOST: '127.0.0.1' },
        readyTimeoutMs: 90_000,
      });
      const meter = { meterId: SAMPLE_METER, direction: 'production', mpo: mpo.address, dso: Wallet.createRandom().address, gridArea: 'GA-1', groupId: 'BG-1', supplier: null, connectionLimitW: '100000', validFrom: '2015-01-01T00:00:00Z' };
      const body = JSON.stringify({ meters: [meter] });
      const headers = await signRequest(operator, chain.environment, { method: 'POST', path: '/meters', body });
      const registered = await fetch(`${service.url}/meters`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect(registered.status).toBe(201);
    }, 120_000);

    afterAll(async () => {
      await service?.stop();
      chain?.close();
      await anvil?.stop();
    });

    it('imports the repository MSCONS sample: --json summary with counts, Wh and batch id; again: the stored answer', async () => {
      const first = await bin(['import-mscons', MSCONS_SAMPLE_PATH, '--json'], { MPO_PRIVATE_KEY: mpo.privateKey, METER_INGEST_URL: service.url, ROLE_REGISTRY_ADDRESS: chain.registryAddress, CHAIN_RPC_URL: anvil.url });
      expect(first.code).toBe(0);
      const summary = JSON.parse(first.stdout) as Record<string, unknown>;
      expect(summary).toMatchObject({
        batchId: bodySha256(raw),
        status: 'partially-accepted',
        replayed: false,
        mpo: mpo.address,
        accepted: 2968,
        duplicates: 0,
        quarantined: 8,
        rejected: 0,
        storedWh: '676577',
        groups: [{ groupId: 'BG-1', intervals: 2968 }],
      });
      // Progress went to stderr, never into the JSON on stdout.
      expect(first.stderr).toContain('100%');
      const [{ total }] = await queryIngest<{ total: string }>(`SELECT sum(energy_wh)::text AS total FROM meter_ingest.intervals WHERE meter_id = $1`, [SAMPLE_METER]);
      expect(total).toBe(summary.storedWh);

      const again = await cli(['import-mscons', MSCONS_SAMPLE_PATH, '--signer-key', mpo.privateKey, '--url', service.url, ...registryFlags()]);
      expect(again.code).toBe(0);
      expect(again.out).toContain('already imported');
      expect(again.out).toMatch(/accepted\s+2,968 values/);
      expect(again.out).toMatch(/energy\s+676,577 Wh/);
      expect(again.out).toContain(bodySha256(raw));
    });

    it('signed by a key that is not the meter\'s MPO, or for another registry: exits 1 with the service refusal naming the header', async () => {
      const stranger = await bin(['import-mscons', MSCONS_SAMPLE_PATH, ...registryFlags()], { MPO_PRIVATE_KEY: Wallet.createRandom().privateKey, METER_INGEST_URL: service.url });
      expect(stranger.code).toBe(1);
      expect(stranger.stderr).toContain('meter-ingest refused');
      expect(stranger.stderr).toContain('403 NOT_OPERATED_BY_MPO');
      expect(stranger.stderr).toContain('x-gl-signer');
      // The problem details follow as one JSON line, as the service sent them.
      expect(JSON.parse(stranger.stderr.trim().split('\n').pop() as string)).toMatchObject({ status: 403, code: 'NOT_OPERATED_BY_MPO' });
      const staging = await bin(['import-mscons', MSCONS_SAMPLE_PATH, '--registry', Wallet.createRandom().address, '--rpc', anvil.url], { MPO_PRIVATE_KEY: mpo.privateKey, METER_INGEST_URL: service.url });
      expect(staging.code).toBe(1);
      expect(staging.stderr).toContain('401 BAD_SIGNATURE');
    });

    it('outbox replay asks meter-ingest to re-publish its rows from a position or an instant', async () => {
      const published = await waitFor(async () => {
        // The manifests too: the manifest worker adds its outbox row after the values' (dirty rows cleared in its transaction).
        const [{ dirty }] = await queryIngest<{ dirty: number }>(`SELECT count(*)::int AS dirty FROM meter_ingest.manifest_dirty`);
        const rows = await queryIngest<{ position: string; published: boolean }>(`SELECT position::text, published_at IS NOT NULL AS published FROM meter_ingest.outbox o ORDER BY o.position`);
        return dirty === 0 && rows.length > 0 && rows.every((row) => row.published) ? rows : undefined;
      }, { timeoutMs: 90_000, what: 'the import events and manifests published' });
      const streamCount = async () => (await messaging.jsm.streams.info(messaging.streamName('METER'))).state.messages;
      const before = await streamCount();

      const all = await cli(['outbox', 'replay', '--service', 'meter-ingest', '--since', '2000-01-01T00:00:00Z', '--replay-id', 'cli-all', '--json']);
      expect(all.code).toBe(0);
      expect(JSON.parse(all.out)).toEqual({ service: 'meter-ingest', replayId: 'cli-all', replayed: published.length });

      const last = published[published.length - 1].position;
      const fromLast = await cli(['outbox', 'replay', '--service', 'meter-ingest', '--from', last, '--replay-id', 'cli-last']);
      expect(fromLast.code).toBe(0);
      expect(fromLast.out).toBe('meter-ingest re-published 1 outbox row (replay id cli-last)\n');
      expect(await streamCount()).toBe(before + published.length + 1);

      const elsewhere = await cli(['outbox', 'replay', '--service', 'balancing', '--from', '0', '--timeout-ms', '500']);
      expect(elsewhere.code).toBe(1);
      expect(elsewhere.err).toContain('balancing did not answer balancing.outbox.replay within 500 ms');
    });

    const queryIngest = <T>(sql: string, params: unknown[] = []): Promise<T[]> => db.query<T>(sql, params);
  });
});
