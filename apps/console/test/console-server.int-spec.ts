import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { MARKET, authEnvironment, signSession } from '@gridledger/auth';
import { deployRoleChain, type RoleChain } from '@gridledger/contracts';
import { BalancingPeriodSettled, ChainPeriodFinalized, MessageDeadLettered } from '@gridledger/events';
import type { MessagingClient } from '@gridledger/messaging';
import { anvilDevKey, connectTestMessaging, deleteNamespaceStreams, randomNamespace, startAnvil, TEST_NATS_URL, testNatsCredentials, waitFor, type AnvilInstance } from '@gridledger/testing';
import { loadConsoleConfig, startConsoleServer, type BoardSnapshot, type ConsoleServer } from '../src';

/**
 * The console's server on a real NATS: the board follows the streams (and says so on the live
 * feed), dead letters are listed with their reasons and re-driven only in a session of a
 * MARKET_OPERATOR (a real RoleRegistry on anvil), reads are proxied to the services, and the
 * web app is served without leaving its directory.
 */
const PERIOD = '2026-11-24T12:00:00Z';
const ROOT = `0x${'ab'.repeat(32)}`;
const operator = Wallet.createRandom();

describe('console server', () => {
  const namespace = randomNamespace();
  let messaging: MessagingClient;
  let server: ConsoleServer;
  let balancing: Server;
  let staticDir: string;
  let anvil: AnvilInstance;
  let chain: RoleChain;
  let REGISTRY: string;

  beforeAll(async () => {
    anvil = await startAnvil();
    chain = await deployRoleChain(anvil.url, anvilDevKey(0));
    await chain.grant('MARKET_OPERATOR', MARKET, operator.address);
    REGISTRY = chain.registryAddress;
    staticDir = mkdtempSync(join(tmpdir(), 'console-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>console</title>');
    balancing = createServer((request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: request.url, auth: request.headers.authorization ?? null })));
    await new Promise<void>((done) => balancing.listen(0, '127.0.0.1', done));
    messaging = await connectTestMessaging({ namespace, name: 'console-spec' });
    await messaging.ensureStreams();
    server = await startConsoleServer(
      loadConsoleConfig({
        HTTP_PORT: '0',
        NATS_URL: TEST_NATS_URL,
        NATS_NAMESPACE: namespace,
        NATS_OPERATOR_PASSWORD: testNatsCredentials('operator')?.password,
        CONSOLE_CHAIN_RPC_URL: anvil.url,
        CONSOLE_BALANCING_URL: `http://127.0.0.1:${(balancing.address() as AddressInfo).port}`,
        CONSOLE_STATIC_DIR: staticDir,
        CONSOLE_CHAIN_ID: '31337',
        CONSOLE_ROLE_REGISTRY_ADDRESS: REGISTRY,
      }),
    );
  });

  afterAll(async () => {
    await server?.close();
    await messaging?.close();
    await new Promise<void>((done) => balancing.close(() => done()));
    await deleteNamespaceStreams(namespace);
    rmSync(staticDir, { recursive: true, force: true });
    chain?.close();
    await anvil?.stop();
  });

  const get = async <T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${server.url}${path}`, init);
    return { status: response.status, body: (await response.json()) as T };
  };

  it('folds settled and finalized events from the streams into the board, and announces each revision live', async () => {
    const feed = await fetch(`${server.url}/api/events`);
    const reader = feed.body!.getReader();
    const settled = BalancingPeriodSettled.create({
      data: { groupId: 'BG-01', periodId: PERIOD, periodLength: 'PT15M', version: 1, trigger: 'complete', feedInWh: '900', feedOutWh: '400', scheduleNetWh: '0', imbalanceWh: '500', imbalancePricePerMWh: null, imbalanceAmount: null, ledgerDigest: ROOT, merkleRoot: ROOT, meterCount: 3, substitutedCount: 0 },
      idParts: ['BG-01', PERIOD, '1'],
      occurredAt: new Date(),
    });
    await messaging.publishEvent(BalancingPeriodSettled, settled, 'BG-01');
    const anchor = { chainId: 31337, contract: `0x${'11'.repeat(20)}`, txHash: ROOT, blockNumber: 9, blockHash: ROOT };
    await messaging.publishEvent(
      ChainPeriodFinalized,
      ChainPeriodFinalized.create({
        data: { periodId: PERIOD, revision: 1, groups: [{ groupId: 'BG-01', version: 1 }], totals: { feedInWh: '900', feedOutWh: '400', scheduleNetWh: '0', imbalanceWh: '500' }, confirmations: 2, ...anchor },
        idParts: [PERIOD, '1'],
        occurredAt: new Date(),
      }),
    );
    await waitFor(async () => (await get<BoardSnapshot>('/api/market')).body.cells[0]?.state === 'finalized', { timeoutMs: 15_000 });
    const { body } = await get<BoardSnapshot>('/api/market');
    expect(body).toMatchObject({ groups: ['BG-01'], periods: [PERIOD] });
    expect(body.cells[0].versions[0]).toMatchObject({ version: 1, trigger: 'complete', imbalanceWh: '500' });
    let text = '';
    while (!/event: board\ndata: \{"revision":[1-9]/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
  });

  it('lists a dead letter with its reason and re-drives it for the operator only', async () => {
    const payload = Buffer.from(JSON.stringify({ note: 'not an event' }));
    await messaging.publishEvent(
      MessageDeadLettered,
      MessageDeadLettered.create({
        data: { stream: 'METER', consumer: 'balancing-intervals', subject: 'meter.intervals.measured.BG-01', streamSequence: 7, deliveries: 1, reason: 'malformed: not an event', payloadBase64: payload.toString('base64') },
        idParts: ['METER', '7'],
        occurredAt: new Date(),
      }),
      'METER',
    );
    await waitFor(async () => (await get<{ deadLetters: unknown[] }>('/api/operations')).body.deadLetters.length === 1, { timeoutMs: 15_000 });
    const { body } = await get<{ deadLetters: { deadLetterId: string; reason: string; payloadBytes: number }[]; consumers: unknown[]; services: { service: string }[] }>('/api/operations');
    expect(body.deadLetters[0]).toMatchObject({ reason: 'malformed: not an event', payloadBytes: payload.length });
    expect(body.services.map((s) => s.service)).toEqual(['meter-ingest', 'balancing', 'capacity-market', 'chain-bridge']);

    const redrive = (authorization?: string) =>
      get<{ redriven?: number; detail?: string }>('/api/operations/dead-letters/redrive', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ ids: [body.deadLetters[0].deadLetterId] }),
      });
    // The market operator's session only: none or a bearer token (401), a session without the role (403).
    expect((await redrive()).status).toBe(401);
    expect((await redrive('Bearer not-the-operator-token')).status).toBe(401);
    const stranger = Wallet.createRandom();
    expect(await redrive(await signSession(stranger, authEnvironment(31337, REGISTRY)))).toMatchObject({ status: 403, body: { title: 'MISSING_ROLE', detail: expect.stringContaining(stranger.address) } });
    const republished = messaging.nc.subscribe(messaging.subject('meter.intervals.measured.BG-01'), { max: 1 });
    const ok = await redrive(await signSession(operator, authEnvironment(31337, REGISTRY)));
    expect(ok).toMatchObject({ status: 200, body: { redriven: 1, by: operator.address } });
    for await (const message of republished) expect(Buffer.from(message.data).equals(payload)).toBe(true);
  });

  it('proxies reads to the services (with the caller\'s Authorization), and nothing else', async () => {
    expect(await get('/api/services/balancing/groups/BG-01/periods?limit=5', { headers: { authorization: 'SIWE abc.def' } })).toEqual({
      status: 200,
      body: { path: '/groups/BG-01/periods?limit=5', auth: 'SIWE abc.def' },
    });
    expect((await get('/api/services/ledger-service/x')).status).toBe(404);
    expect((await get('/api/services/balancing/prices/x', { method: 'PUT' })).status).toBe(405);
  });

  it('checks a sign-in (SIWE read session) the way the services do', async () => {
    const wallet = Wallet.createRandom();
    const session = await signSession(wallet, authEnvironment(31337, REGISTRY));
    expect(await get('/api/session', { headers: { authorization: session } })).toMatchObject({ status: 200, body: { address: wallet.address } });
    const elsewhere = await signSession(wallet, authEnvironment(1, REGISTRY));
    expect(await get('/api/session', { headers: { authorization: elsewhere } })).toMatchObject({ status: 401, body: { title: 'WRONG_ENVIRONMENT' } });
    expect((await get('/api/session')).status).toBe(401);
    expect((await get<{ chainId: number; roleRegistryAddress: string }>('/api/config')).body).toMatchObject({ chainId: 31337, roleRegistryAddress: REGISTRY });
  });

  it('serves the web app for any path, and nothing outside its directory', async () => {
    for (const path of ['/', '/group/BG-01', '/%2e%2e/%2e%2e/etc/passwd']) {
      const response = await fetch(`${server.url}${path}`);
      expect([path, response.status, await response.text()]).toEqual([path, 200, '<!doctype html><title>console</title>']);
    }
  });
});
