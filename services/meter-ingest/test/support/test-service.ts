import type { NatsConnection } from 'nats';
import { bootstrapService, type RunningService } from '@gridledger/service-kit';
import { createTestDatabase, deleteNamespaceStreams, randomNamespace, connectTestNats, testNatsEnv, type TestDatabase } from '@gridledger/testing';
import { meterIngestService } from '../../src/service';
import type { MeterIngestConfig } from '../../src/config';

export const OPERATOR_TOKEN = 'operator-token-for-tests-0123456789';

/** meter-ingest booted in-process on a random port, a fresh database and a NATS namespace. */
export interface TestService {
  readonly url: string;
  readonly namespace: string;
  readonly running: RunningService<MeterIngestConfig>;
  readonly db: TestDatabase;
  /** A plain NATS connection for requests and stream reads. */
  readonly nc: NatsConnection;
  stop(): Promise<void>;
}

export async function startTestService(extraEnv: Record<string, string> = {}): Promise<TestService> {
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
      METER_INGEST_OPERATOR_TOKEN: OPERATOR_TOKEN,
      ...extraEnv,
    }),
  );
  const nc = await connectTestNats();
  return {
    url: running.url,
    namespace,
    running,
    db,
    nc,
    async stop() {
      await nc.close();
      await running.close();
      await deleteNamespaceStreams(namespace);
      await db.drop();
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

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers; contentType: string | null; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers, contentType: response.headers.get('content-type'), text };
}

export async function requestJson(url: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; contentType: string | null }> {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, contentType: response.headers.get('content-type') };
}
