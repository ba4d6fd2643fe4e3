import { headers, type MsgHdrs, type NatsConnection } from 'nats';
import { Wallet } from 'ethers';
import { MARKET, bodySha256, signRequest, type AuthEnvironment, type RequestSigner, type Role } from '@gridledger/auth';
import { deployRoleChain, type RoleChain } from '@gridledger/contracts';
import { AuthService, bootstrapService, type RunningService } from '@gridledger/service-kit';
import { anvilDevKey, createTestDatabase, deleteNamespaceStreams, randomNamespace, connectTestNats, startAnvil, testNatsEnv, waitFor, type AnvilInstance, type TestDatabase } from '@gridledger/testing';
import { meterIngestService } from '../../src/service';
import type { MeterIngestConfig } from '../../src/config';
import { signerOf } from './fixtures';

/** Headers that make postJson/requestJson sign the request as the market operator of the running test service. */
export const AS_OPERATOR: Record<string, string> = { 'x-test-sign-as': 'operator' };

/** The running test service's chain and operator, for the helpers below (one service per spec file). */
let current: { environment: AuthEnvironment; operator: Wallet } | undefined;

/** The headers of a signed request for the current test service; batches use their body digest as nonce. */
export async function signedHeaders(signer: RequestSigner, method: string, url: string, body: string | Uint8Array): Promise<Record<string, string>> {
  if (!current) throw new Error('no test service is running');
  const { pathname, search } = new URL(url);
  const batch = /^\/(readings|mscons)\/?$/.test(pathname);
  return signRequest(signer, current.environment, { method, path: `${pathname}${search}`, body }, batch ? { nonce: bodySha256(body) } : {});
}

/** NATS headers of a batch signed for the submit subject (method NATS, path the logical subject). */
export async function natsSignedHeaders(signer: RequestSigner, subject: string, body: string): Promise<MsgHdrs> {
  if (!current) throw new Error('no test service is running');
  const signed = await signRequest(signer, current.environment, { method: 'NATS', path: subject, body }, { nonce: bodySha256(body) });
  const natsHeaders = headers();
  for (const [name, value] of Object.entries(signed)) natsHeaders.set(name, value);
  return natsHeaders;
}

async function authHeaders(method: string, url: string, text: string | Uint8Array | undefined, headers: Record<string, string>, body: unknown): Promise<Record<string, string>> {
  const { ['x-test-sign-as']: signAs, ...rest } = headers;
  const signer = signAs === 'operator' ? current?.operator : signerOf(body);
  if (!signer || text === undefined && signAs !== 'operator') return rest;
  return { ...rest, ...(await signedHeaders(signer, method, url, text ?? '')) };
}

/** meter-ingest booted in-process on a random port, a fresh database and a NATS namespace. */
export interface TestService {
  readonly url: string;
  readonly namespace: string;
  readonly running: RunningService<MeterIngestConfig>;
  readonly db: TestDatabase;
  /** A plain NATS connection for requests and stream reads. */
  readonly nc: NatsConnection;
  readonly chain: RoleChain;
  readonly environment: AuthEnvironment;
  /** Holds MARKET_OPERATOR; AS_OPERATOR signs as it. */
  readonly operator: Wallet;
  /** Grants a role on chain and waits until the service's mirror has it. */
  grant(role: Role, scopes: readonly string[], account: string): Promise<void>;
  revoke(role: Role, scope: string, account: string): Promise<void>;
  stop(): Promise<void>;
}

/** A correction window wide enough for the fixed 2026-03-29 dates of the specs. */
const TEST_CORRECTION_WINDOW_MS = String(20 * 365 * 86_400_000);

export async function startTestService(extraEnv: Record<string, string> = {}): Promise<TestService> {
  const anvil: AnvilInstance = await startAnvil();
  const chain = await deployRoleChain(anvil.url, anvilDevKey(0));
  const operator = Wallet.createRandom() as unknown as Wallet;
  await chain.grant('MARKET_OPERATOR', MARKET, operator.address);
  const db = await createTestDatabase();
  const namespace = randomNamespace();
  const running = await bootstrapService(
    meterIngestService({
      DATABASE_URL: db.url,
      ...testNatsEnv(),
      NATS_NAMESPACE: namespace,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      METER_INGEST_CORRECTION_WINDOW_MS: TEST_CORRECTION_WINDOW_MS,
      ...chain.env,
      ...extraEnv,
    }),
  );
  const nc = await connectTestNats();
  current = { environment: chain.environment, operator };
  const auth = running.app.get(AuthService);
  return {
    url: running.url,
    namespace,
    running,
    db,
    nc,
    chain,
    environment: chain.environment,
    operator,
    async grant(role, scopes, account) {
      for (const scope of scopes) await chain.grant(role, scope, account);
      await waitFor(() => scopes.every((scope) => auth.roles.has(role, scope, account)), { timeoutMs: 10_000, what: `${role} of ${scopes.join(', ')} mirrored` });
    },
    async revoke(role, scope, account) {
      await chain.revoke(role, scope, account);
      await waitFor(() => !auth.roles.has(role, scope, account), { timeoutMs: 10_000, what: `${role} of ${scope} revoked in the mirror` });
    },
    async stop() {
      current = undefined;
      await nc.close();
      await running.close();
      await deleteNamespaceStreams(namespace);
      await db.drop();
      chain.close();
      await anvil.stop();
    },
  };
}

export interface StoredMessage {
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly data: { id: string; type: string; data: Record<string, unknown> };
}

/** Every message in the namespace's METER stream, in order (manifests only when asked: they follow the values on their own schedule). */
export async function meterStreamMessages(service: TestService, options: { manifests?: boolean } = {}): Promise<StoredMessage[]> {
  const jsm = await service.nc.jetstreamManager();
  const stream = `METER_${service.namespace}`;
  const info = await jsm.streams.info(stream);
  const messages: StoredMessage[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq += 1) {
    const message = await jsm.streams.getMessage(stream, { seq });
    messages.push({ subject: message.subject.slice(service.namespace.length + 1), msgId: message.header?.get('Nats-Msg-Id'), data: message.json() });
  }
  return options.manifests ? messages : messages.filter((message) => !message.subject.startsWith('meter.manifest.'));
}

/**
 * POSTs JSON; signed as a request when the body came from `signedBatch` (as its MPO) or the
 * headers are AS_OPERATOR (as the market operator).
 */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; contentType: string | null; text: string }> {
  const sent = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await authHeaders('POST', url, sent, headers, body)) }, body: sent });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers, contentType: response.headers.get('content-type'), text };
}

export async function requestJson(url: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; contentType: string | null }> {
  const sent = body === undefined ? undefined : JSON.stringify(body);
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json', ...(await authHeaders(method, url, sent, headers, body)) }, body: sent });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, contentType: response.headers.get('content-type') };
}
