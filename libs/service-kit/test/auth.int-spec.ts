import { Wallet } from 'ethers';
import { MARKET, signRequest, signSession, type RequestSigner } from '@gridledger/auth';
import { bootstrapService, type RunningService } from '@gridledger/service-kit';
import { deployRoleChain, type RoleChain } from '@gridledger/contracts';
import { anvilDevKey, createTestDatabase, deleteNamespaceStreams, randomNamespace, startAnvil, testNatsEnv, waitFor, type AnvilInstance, type TestDatabase } from '@gridledger/testing';
import { AuthProbeModule, authProbeConfig } from './fixtures/auth-probe.module';

jest.setTimeout(120_000);

/** The auth edge against a real RoleRegistry on anvil: grants and revocations reach the service within seconds. */
describe('signed writes and read sessions against the RoleRegistry mirror', () => {
  let anvil: AnvilInstance;
  let chain: RoleChain;
  let db: TestDatabase;
  let service: RunningService<unknown>;
  const ns = randomNamespace();
  const operator = Wallet.createRandom();
  const brp = Wallet.createRandom();

  const send = async (signer: RequestSigner, path: string, body: unknown, tamper: (headers: Record<string, string>) => Record<string, string> = (h) => h) => {
    const text = JSON.stringify(body);
    const headers = tamper(await signRequest(signer, chain.environment, { method: 'POST', path, body: text }));
    const response = await fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    chain = await deployRoleChain(anvil.url, anvilDevKey(0));
    db = await createTestDatabase();
    service = await bootstrapService({
      name: 'auth-probe',
      schema: 'auth_probe',
      configSchema: authProbeConfig,
      appModule: AuthProbeModule,
      env: { ...testNatsEnv(), DATABASE_URL: db.url, NATS_NAMESPACE: ns, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...chain.env },
    });
  });

  afterAll(async () => {
    await service?.close();
    await deleteNamespaceStreams(ns);
    await db?.drop();
    chain?.close();
    await anvil?.stop();
  });

  it('accepts a role within seconds of its grant on chain, and refuses the key within seconds of its revocation', async () => {
    expect(await send(operator, '/probe/prices', { price: 1 })).toMatchObject({ status: 403, body: { code: 'MISSING_ROLE' } });
    await chain.grant('MARKET_OPERATOR', MARKET, operator.address);
    const granted = Date.now();
    const accepted = await waitFor(async () => ((await send(operator, '/probe/prices', { price: 2 })).status === 201 ? Date.now() : undefined), { timeoutMs: 5000, intervalMs: 100, what: 'the grant mirrored' });
    expect(accepted - granted).toBeLessThan(5000);

    await chain.revoke('MARKET_OPERATOR', MARKET, operator.address);
    await waitFor(async () => (await send(operator, '/probe/prices', { price: 3 })).status === 403, { timeoutMs: 5000, intervalMs: 100, what: 'the revocation mirrored' });
    const written = (await send(operator, '/probe/prices', { price: 4 })).status;
    expect(written).toBe(403);
  });

  it('checks scoped roles by the body, after the signature', async () => {
    await chain.grant('BRP', 'BG-1', brp.address);
    await waitFor(async () => (await send(brp, '/probe/schedules', { groupId: 'BG-1' })).status === 201, { timeoutMs: 5000, what: 'the BRP grant mirrored' });
    expect(await send(brp, '/probe/schedules', { groupId: 'BG-2' })).toMatchObject({ status: 403, body: { code: 'MISSING_ROLE' } });
  });

  it('refuses unsigned, replayed, tampered and cross-environment requests with 401', async () => {
    const unsigned = await fetch(`${service.url}/probe/schedules`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"groupId":"BG-1"}' });
    expect(unsigned.status).toBe(401);
    const body = JSON.stringify({ groupId: 'BG-1' });
    const headers = await signRequest(brp, chain.environment, { method: 'POST', path: '/probe/schedules', body });
    const post = (h: Record<string, string>, b = body) => fetch(`${service.url}/probe/schedules`, { method: 'POST', headers: { 'content-type': 'application/json', ...h }, body: b });
    expect((await post(headers)).status).toBe(201);
    const replay = await post(headers);
    expect([replay.status, ((await replay.json()) as { code: string }).code]).toEqual([401, 'NONCE_REUSED']);
    const fresh = await signRequest(brp, chain.environment, { method: 'POST', path: '/probe/schedules', body });
    expect((await post(fresh, JSON.stringify({ groupId: 'BG-1', extra: 1 }))).status).toBe(401);
    const staging = await signRequest(brp, { ...chain.environment, chainId: 1n }, { method: 'POST', path: '/probe/schedules', body });
    expect((await post(staging)).status).toBe(401);
  });

  it('serves reads to a valid session only', async () => {
    const session = await signSession(brp, chain.environment);
    const me = await fetch(`${service.url}/probe/me`, { headers: { authorization: session } });
    expect(await me.json()).toEqual({ address: brp.address });
    expect((await fetch(`${service.url}/probe/me`)).status).toBe(401);
    const foreign = await signSession(brp, { ...chain.environment, verifyingContract: Wallet.createRandom().address });
    expect((await fetch(`${service.url}/probe/me`, { headers: { authorization: foreign } })).status).toBe(401);
  });
});
