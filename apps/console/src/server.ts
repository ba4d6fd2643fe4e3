import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { Contract, JsonRpcProvider } from 'ethers';
import { MARKET_SCOPE, ROLE_IDS, ROLE_REGISTRY_ABI, authEnvironment, verifySession, type VerifiedSession } from '@gridledger/auth';
import { DomainError } from '@gridledger/domain';
import { connectMessaging, type MessagingClient } from '@gridledger/messaging';
import { SERVICE_NAMES, serviceUrls, type ConsoleConfig, type ServiceName } from './config';
import { MarketBoard } from './market-board';
import { consumerLag, deadLetterViews, redrive, serviceGauges } from './operations';
import { feedBoard } from './stream-feed';

/**
 * The console's server: the built web app, a read-only proxy to the services' public GET
 * APIs (so the browser needs no CORS from them), the market board folded from the streams
 * with a live feed (server-sent events), and the operator's view and re-drive of dead
 * letters over NATS (the re-drive needs a read session of a MARKET_OPERATOR). It keeps no
 * state beyond what it re-reads from the streams.
 */
export interface ConsoleServer {
  readonly url: string;
  readonly port: number;
  readonly board: MarketBoard;
  close(): Promise<void>;
}

const DEFAULT_STATIC_DIR = resolve(__dirname, '..', 'dist');
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

export async function startConsoleServer(config: ConsoleConfig): Promise<ConsoleServer> {
  const credentials = config.NATS_OPERATOR_PASSWORD ? { user: config.NATS_OPERATOR_USER, password: config.NATS_OPERATOR_PASSWORD } : undefined;
  const messaging = await connectMessaging({ url: config.NATS_URL, namespace: config.NATS_NAMESPACE ?? '', name: 'console', credentials, tlsCaFile: config.NATS_TLS_CA });
  await messaging.ensureStreams();
  const board = new MarketBoard();
  const listeners = new Set<ServerResponse>();
  let pending: NodeJS.Timeout | undefined;
  const announce = (): void => {
    // Coalesce bursts (a replay from the start is thousands of events) into one update per 200 ms.
    pending ??= setTimeout(() => {
      pending = undefined;
      for (const listener of listeners) listener.write(`event: board\ndata: ${JSON.stringify({ revision: board.revision })}\n\n`);
    }, 200);
  };
  const feed = await feedBoard(messaging, board, announce);
  const heartbeat = setInterval(() => listeners.forEach((listener) => listener.write(': keep-alive\n\n')), 15_000);
  const staticDir = config.CONSOLE_STATIC_DIR ? resolve(config.CONSOLE_STATIC_DIR) : DEFAULT_STATIC_DIR;
  const urls = serviceUrls(config);
  const registryAddress = config.CONSOLE_ROLE_REGISTRY_ADDRESS ?? config.CONSOLE_CASCADE_ADDRESS;
  const serverRpcUrl = config.CONSOLE_SERVER_CHAIN_RPC_URL ?? config.CONSOLE_CHAIN_RPC_URL;
  // Operator actions ask the registry itself, per action (rare; a revoked role stops them at once).
  const roles = registryAddress ? new JsonRpcProvider(serverRpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, polling: false }) : undefined;
  const registry = roles && registryAddress ? new Contract(registryAddress, ROLE_REGISTRY_ABI as unknown as string[], roles) : undefined;
  // The chain id for sign-in: configured, or asked once of the chain RPC (when the server reaches it).
  let chainId: Promise<number | undefined> | undefined;
  const knownChainId = (): Promise<number | undefined> =>
    (chainId ??= config.CONSOLE_CHAIN_ID !== undefined
      ? Promise.resolve(config.CONSOLE_CHAIN_ID)
      : fetch(serverRpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }), signal: AbortSignal.timeout(3_000) })
          .then(async (answer) => Number(BigInt(((await answer.json()) as { result: string }).result)))
          .catch(() => {
            chainId = undefined; // ask again next time
            return undefined;
          }));

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) problem(response, 502, 'console-error', error instanceof Error ? error.message : String(error));
      else response.end();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://console');
    const path = url.pathname;
    if (path === '/health/ready' || path === '/health/live') return json(response, 200, { status: 'ok' });
    if (path === '/api/session') return sessionCheck(request, response);
    if (path === '/api/config') {
      return json(response, 200, {
        chainRpcUrl: config.CONSOLE_CHAIN_RPC_URL,
        cascadeAddress: config.CONSOLE_CASCADE_ADDRESS ?? null,
        chainId: (await knownChainId()) ?? null,
        roleRegistryAddress: registryAddress ?? null,
        services: SERVICE_NAMES,
        // Re-drives need a market operator's session: possible wherever sign-in is.
        operatorActions: registryAddress !== undefined,
      });
    }
    if (path === '/api/market') return json(response, 200, board.snapshot(Date.now()));
    if (path === '/api/events') return liveFeed(request, response);
    if (path === '/api/operations' && request.method === 'GET') {
      const [deadLetters, consumers, services] = await Promise.all([deadLetterViews(messaging), consumerLag(messaging), serviceGauges(urls)]);
      return json(response, 200, { deadLetters, consumers, services });
    }
    if (path === '/api/operations/dead-letters/redrive' && request.method === 'POST') return redriveRequest(request, response, messaging);
    const proxied = /^\/api\/services\/([a-z-]+)(\/.*)$/.exec(path);
    if (proxied) return proxy(request, response, proxied[1], proxied[2] + url.search);
    if (path.startsWith('/api/')) return problem(response, 404, 'not-found', `no console API at ${path}`);
    return serveStatic(response, path);
  }

  /** Who a read session (Authorization: SIWE …) signs in, verified as the services verify it. */
  async function sessionCheck(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const session = await verifiedSession(request, response);
    if (session) json(response, 200, { address: session.address, expiresAt: new Date(session.expiresAtMs).toISOString() });
  }

  /** The request's read session, or undefined once a problem was answered (503 sign-in off, 401 no or bad session). */
  async function verifiedSession(request: IncomingMessage, response: ServerResponse): Promise<VerifiedSession | undefined> {
    const chain = await knownChainId();
    if (chain === undefined || !registryAddress) {
      problem(response, 503, 'sign-in-off', 'sign-in needs CONSOLE_CHAIN_ID (or a chain RPC the server reaches: CONSOLE_SERVER_CHAIN_RPC_URL) and CONSOLE_ROLE_REGISTRY_ADDRESS (or CONSOLE_CASCADE_ADDRESS)');
      return undefined;
    }
    try {
      return verifySession(request.headers.authorization, authEnvironment(chain, registryAddress), Date.now());
    } catch (error) {
      if (error instanceof DomainError) {
        problem(response, 401, error.code, error.reason);
        return undefined;
      }
      throw error;
    }
  }

  function liveFeed(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    response.write(`event: board\ndata: ${JSON.stringify({ revision: board.revision })}\n\n`);
    listeners.add(response);
    request.on('close', () => listeners.delete(response));
  }

  /** A market operator's action: its read session (401), and MARKET_OPERATOR in the registry now (403). */
  async function redriveRequest(request: IncomingMessage, response: ServerResponse, client: MessagingClient): Promise<void> {
    const session = await verifiedSession(request, response);
    if (!session || !registry) return;
    const isOperator = (await registry.getFunction('hasGroupRole')(ROLE_IDS.MARKET_OPERATOR, MARKET_SCOPE, session.address)) as boolean;
    if (!isOperator) return problem(response, 403, 'MISSING_ROLE', `${session.address} may not re-drive dead letters: it needs MARKET_OPERATOR`);
    const body = await readJson(request);
    const ids = typeof body === 'object' && body !== null && Array.isArray((body as { ids?: unknown }).ids) ? (body as { ids: unknown[] }).ids : null;
    if (!ids || ids.length === 0 || !ids.every((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 128)) {
      return problem(response, 400, 'invalid-request', 'body must be {"ids": ["<dead letter id>", …]}');
    }
    const redriveId = randomUUID();
    const redriven = await redrive(client, ids, redriveId);
    return json(response, 200, { redriven, redriveId, by: session.address });
  }

  async function proxy(request: IncomingMessage, response: ServerResponse, name: string, pathAndQuery: string): Promise<void> {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) return problem(response, 404, 'not-found', `unknown service ${name}; one of ${SERVICE_NAMES.join(', ')}`);
    if (request.method !== 'GET') return problem(response, 405, 'method-not-allowed', 'the console proxies reads (GET) only');
    const headers: Record<string, string> = { accept: 'application/json' };
    // The participant's read session (SIWE) travels on to the service, which decides.
    if (request.headers.authorization) headers.authorization = request.headers.authorization;
    const upstream = await fetch(`${urls[name as ServiceName]}${pathAndQuery}`, { headers, signal: AbortSignal.timeout(10_000) });
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    response.end(Buffer.from(await upstream.arrayBuffer()));
  }

  function serveStatic(response: ServerResponse, path: string): void {
    const relative = normalize(decodeURIComponent(path)).replace(/^(\.\.[/\\])+/, '');
    let file = join(staticDir, relative);
    if (!file.startsWith(staticDir) || !existsSync(file) || statSync(file).isDirectory()) file = join(staticDir, 'index.html');
    if (!existsSync(file)) return problem(response, 503, 'not-built', `the web app is not built: run npm run console:build (looked in ${staticDir})`);
    const immutable = file.includes(`${join(staticDir, 'assets')}`);
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
    response.end(readFileSync(file));
  }

  await new Promise<void>((done) => server.listen(config.HTTP_PORT, '0.0.0.0', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.HTTP_PORT;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    board,
    async close() {
      clearInterval(heartbeat);
      if (pending) clearTimeout(pending);
      feed.stop();
      for (const listener of listeners) listener.end();
      await new Promise<void>((done) => server.close(() => done()));
      roles?.destroy();
      await messaging.close();
    },
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) return null;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function problem(response: ServerResponse, status: number, code: string, detail: string): void {
  response.writeHead(status, { 'content-type': 'application/problem+json' });
  response.end(JSON.stringify({ type: `urn:gridledger:console:${code}`, title: code, status, detail }));
}

