import { resolve } from 'node:path';
import { Client } from 'pg';
import { startAnvil } from './anvil.launcher';
import { connect } from 'nats';
import { NATS_USER_NAMES, natsAuthOptions, natsPasswordVariable, type NatsUserName } from '@gridledger/messaging';
import { startNats, type NatsComponent } from './nats.launcher';
import { choosePort, findFreePort } from './ports';
import { startEmbeddedPostgres } from './postgres.launcher';
import { probeEvm, probeNats, probePostgres } from './probes';
import { guardWhileRunning } from './signal-guard';
import { reusedComponent, StackComponent, StackLog } from './stack-component';

export const STANDARD_PORTS = { nats: 4222, postgres: 5432, evm: 8545 } as const;
/**
 * The stack's own auth-enabled NATS listens here when free (else on any free port): never on
 * 4222, where a developer's anonymous nats-server usually runs (docs/nats-security.md).
 */
export const STACK_NATS_PORT = 4223;
export const STACK_DATABASE = 'gridledger';
const HOST = '127.0.0.1';
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export interface LocalStackOptions {
  /** Also provide an EVM JSON-RPC node (anvil). */
  readonly evm: boolean;
  /**
   * Reuse services already answering (default true): first where the environment points
   * (NATS_URL, DATABASE_ADMIN_URL or PG_ADMIN_URL, CHAIN_RPC_URL, as `npm test` exports them),
   * then on the standard ports. NATS only where NATS_URL points and the environment holds
   * every user's password (NATS_OPERATOR_PASSWORD, METER_INGEST_NATS_PASSWORD, …) that
   * logs in there: an anonymous NATS is never reused.
   */
  readonly reuse?: boolean;
  /** Reuse an EVM node already answering (default: as `reuse`); false starts one of its own (tests that must own their chain). */
  readonly reuseEvm?: boolean;
  /** Where to read those variables (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where started services keep state (default <repo>/.stack). */
  readonly stateDir?: string;
  /** Install nats-server with apt-get when missing and permitted (default true). */
  readonly installMissing?: boolean;
  /** `standard-first` (default) starts on 4222/5432/8545 when free; `random` always on free ports. */
  readonly ports?: 'standard-first' | 'random';
  /** On SIGINT/SIGTERM, stop what was started and exit (default true). */
  readonly handleSignals?: boolean;
  readonly log?: StackLog;
}

export interface LocalStack {
  readonly natsUrl: string;
  /** Every NATS user's password (services: their own; the CLI and the demo: the operator's). */
  readonly natsPasswords: Readonly<Record<NatsUserName, string>>;
  /** The `gridledger` database. */
  readonly databaseUrl: string;
  /** The maintenance database of the same server, for creating and dropping databases. */
  readonly adminDatabaseUrl: string;
  /** Undefined unless started with `evm: true`. */
  readonly rpcUrl: string | undefined;
  readonly components: readonly StackComponent[];
  /** Stops what this stack started (by PID), newest first; never touches reused services. */
  stop(): Promise<void>;
}

const defaultLog: StackLog = (line) => process.stdout.write(`[stack] ${line}\n`);

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? defaultLog;
  const reuse = options.reuse ?? true;
  const stateDir = options.stateDir ?? resolve(REPO_ROOT, '.stack');
  const installMissing = options.installMissing ?? true;
  const port = (standard: number): Promise<number> => (options.ports === 'random' ? findFreePort() : choosePort(standard));
  const components: StackComponent[] = [];
  let releaseGuard = (): void => undefined;
  const stopAll = async (): Promise<void> => {
    releaseGuard();
    for (const component of [...components].reverse()) {
      if (component.origin === 'started') log(`stopping ${component.name} (${component.url})`);
      await component.stop();
    }
  };
  const add = (component: StackComponent): StackComponent => {
    components.push(component);
    log(`${component.origin} ${component.name} at ${redact(component.url)} (${component.description})`);
    return component;
  };
  if (options.handleSignals ?? true) releaseGuard = guardWhileRunning(stopAll);
  try {
    const env = options.env ?? process.env;
    const nats = (reuse && (await reusableNats(log, env))) || (await startNats(await port(STACK_NATS_PORT), log, installMissing));
    add(nats);
    const postgres = add((reuse && (await reusablePostgres(log, env.DATABASE_ADMIN_URL ?? env.PG_ADMIN_URL))) || (await startEmbeddedPostgres(await port(STANDARD_PORTS.postgres), stateDir, log)));
    const adminDatabaseUrl = postgres.url;
    const databaseUrl = await ensureDatabase(adminDatabaseUrl, STACK_DATABASE);
    const evm = options.evm ? add(((options.reuseEvm ?? reuse) && (await reusableEvm(log, env.CHAIN_RPC_URL))) || (await startAnvil(await port(STANDARD_PORTS.evm)))) : undefined;
    return { natsUrl: nats.url, natsPasswords: nats.passwords, databaseUrl, adminDatabaseUrl, rpcUrl: evm?.url, components, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The NATS the environment names, when every user's password from the environment is there and the operator's logs in. */
async function reusableNats(log: StackLog, env: Readonly<Record<string, string | undefined>>): Promise<NatsComponent | undefined> {
  const url = env.NATS_URL;
  if (!url || !/^nats:\/\/[^,]+$/.test(url)) return undefined;
  const missing = NATS_USER_NAMES.filter((name) => !env[natsPasswordVariable(name)]);
  if (missing.length > 0) {
    log(`not reusing NATS at ${url}: the environment lacks ${missing.map(natsPasswordVariable).join(', ')} (the stack runs NATS with users)`);
    return undefined;
  }
  const passwords = Object.fromEntries(NATS_USER_NAMES.map((name) => [name, env[natsPasswordVariable(name)] as string])) as Record<NatsUserName, string>;
  const { hostname, port } = new URL(url);
  const probe = await probeNats(hostname, Number(port || 4222));
  if (!probe.ok) return undefined;
  if (!probe.detail.jetstream) {
    log(`NATS at ${url} has JetStream disabled: not reusing it`);
    return undefined;
  }
  try {
    const nc = await connect({ servers: url, reconnect: false, timeout: 2000, ...natsAuthOptions({ credentials: { user: 'operator', password: passwords.operator } }) });
    await nc.close();
  } catch (error) {
    log(`not reusing NATS at ${url}: the operator's password does not log in (${error instanceof Error ? error.message : String(error)})`);
    return undefined;
  }
  return { ...reusedComponent('NATS', url, `nats-server ${probe.detail.version} with JetStream and users`), passwords };
}

/** The one the environment names, else a local developer Postgres trusting `postgres` or the login user. */
async function reusablePostgres(log: StackLog, fromEnv: string | undefined): Promise<StackComponent | undefined> {
  if (fromEnv) {
    const probe = await probePostgres(fromEnv);
    if (probe.ok) return reusedComponent('Postgres', fromEnv, `PostgreSQL ${probe.detail.version}`);
    log(`Postgres at ${redact(fromEnv)} does not answer (${probe.reason})`);
  }
  const users = [...new Set([process.env.PGUSER, 'postgres', 'root', process.env.USER].filter((u): u is string => !!u))];
  let lastReason = '';
  for (const user of users) {
    const url = `postgres://${encodeURIComponent(user)}@${HOST}:${STANDARD_PORTS.postgres}/postgres`;
    const probe = await probePostgres(url);
    if (probe.ok) return reusedComponent('Postgres', url, `PostgreSQL ${probe.detail.version}, user ${user}`);
    lastReason = probe.reason;
    if (/ECONNREFUSED|timeout/i.test(probe.reason)) return undefined;
  }
  log(`Postgres answers on ${HOST}:${STANDARD_PORTS.postgres} but not for ${users.join('/')} without a password (${lastReason}): starting our own`);
  return undefined;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

async function reusableEvm(log: StackLog, fromEnv: string | undefined): Promise<StackComponent | undefined> {
  for (const url of [...new Set([fromEnv, `http://${HOST}:${STANDARD_PORTS.evm}`].filter((u): u is string => !!u))]) {
    const probe = await probeEvm(url);
    if (probe.ok) return reusedComponent('EVM node', url, `chain id ${probe.detail.chainId}`);
    if (!/ECONNREFUSED|fetch failed/i.test(probe.reason)) log(`${url} does not answer eth_chainId (${probe.reason})`);
  }
  return undefined;
}

/** Creates `name` on the server when missing (concurrent creators are fine) and returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        // 42P04 duplicate_database, 23505 when two creators race on pg_database's index.
        if (error.code !== '42P04' && error.code !== '23505') throw error;
      });
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
