import { STREAMS, rpcSubject, type StreamName } from './streams';
import { outboxReplaySubject } from './outbox';

/**
 * Who may do what on NATS: one user per service, the market operator, and an MPO head-end
 * (docs/nats-security.md). The server config (local stack, tests, k8s) is rendered from this
 * one table, so a subject a service starts to publish is added here or refused by the broker.
 */
export type NatsServiceName = 'meter-ingest' | 'balancing' | 'capacity-market' | 'chain-bridge';
export type NatsUserName = NatsServiceName | 'operator' | 'head-end';

export interface NatsUserSpec {
  readonly user: NatsUserName;
  /** Its password comes from `<envPrefix>NATS_PASSWORD` (user name from `<envPrefix>NATS_USER`). */
  readonly envPrefix: string;
  /** Logical subjects only this user publishes (its stream's subjects). */
  readonly publishes: readonly string[];
  /** Streams it reads with durable pull consumers (and dead-letters from). */
  readonly consumes: readonly StreamName[];
  /** Logical request subjects it calls (on the wire under `rpc.`). */
  readonly requests: readonly string[];
  /** Logical request subjects it answers (on the wire under `rpc.`). */
  readonly serves: readonly string[];
  /** Declares (creates/updates) the streams at start, as every service does (ensureStreams). */
  readonly managesStreams: boolean;
  /** Unrestricted: the operator re-drives dead letters onto any subject and runs the tools. */
  readonly superuser?: boolean;
}

const service = (user: NatsServiceName, envPrefix: string, spec: Omit<NatsUserSpec, 'user' | 'envPrefix' | 'managesStreams'>): NatsUserSpec => ({
  user,
  envPrefix,
  managesStreams: true,
  ...spec,
  serves: [...spec.serves, outboxReplaySubject(user)],
});

export const NATS_USERS: Readonly<Record<NatsUserName, NatsUserSpec>> = {
  // meter-ingest.intervals.resend: balancing asks for a group-period's values again when its manifest does not match.
  'meter-ingest': service('meter-ingest', 'METER_INGEST_', { publishes: ['meter.>'], consumes: [], requests: [], serves: ['meter.readings.submit', 'meter-ingest.intervals.resend', 'meter-ingest.manifests.view'] }),
  // balancing asks meter-ingest to re-send what does not match a manifest, and its reconciler reads the others' views (docs/integrity.md).
  balancing: service('balancing', 'BALANCING_', {
    publishes: ['balancing.>'],
    // BALANCING: its own settled history, read back when it starts on an empty database (docs/integrity.md).
    consumes: ['METER', 'CAPACITY', 'MARKET', 'CHAIN', 'BALANCING'],
    requests: ['meter-ingest.intervals.resend', 'meter-ingest.manifests.view', 'capacity-market.reconciliation.view', 'chain-bridge.reconciliation.view'],
    serves: ['balancing.proof.requested'],
  }),
  // capacity-market reads its own CAPACITY stream back when it starts on an empty database (its share registry, docs/integrity.md).
  'capacity-market': service('capacity-market', 'CAPACITY_', { publishes: ['capacity.>'], consumes: ['METER', 'MARKET', 'CAPACITY'], requests: [], serves: ['capacity-market.reconciliation.view'] }),
  'chain-bridge': service('chain-bridge', 'CHAIN_', { publishes: ['chain.>'], consumes: ['BALANCING'], requests: ['balancing.proof.requested'], serves: ['chain-bridge.reconciliation.view'] }),
  // The market operator: prices (market.>), outbox replays, dead-letter reads and re-drives, the CLI and the demo.
  operator: { user: 'operator', envPrefix: 'NATS_OPERATOR_', publishes: ['>'], consumes: [], requests: [], serves: [], managesStreams: true, superuser: true },
  // An MPO head-end submitting signed batches over NATS (the batch signature says which MPO).
  'head-end': { user: 'head-end', envPrefix: 'NATS_HEAD_END_', publishes: [], consumes: [], requests: ['meter.readings.submit'], serves: [], managesStreams: false },
};

export const NATS_USER_NAMES = Object.keys(NATS_USERS) as NatsUserName[];

/** The env variable holding a user's password (`METER_INGEST_NATS_PASSWORD`, `NATS_OPERATOR_PASSWORD`). */
export function natsPasswordVariable(user: NatsUserName): string {
  const prefix = NATS_USERS[user].envPrefix;
  return prefix.startsWith('NATS_') ? `${prefix}PASSWORD` : `${prefix}NATS_PASSWORD`;
}

/** The env variable naming the user (defaults to the user's own name). */
export function natsUserVariable(user: NatsUserName): string {
  const prefix = NATS_USERS[user].envPrefix;
  return prefix.startsWith('NATS_') ? `${prefix}USER` : `${prefix}NATS_USER`;
}

/** Replies to a user's requests (and JetStream API answers, pull batches) arrive under its own inbox prefix. */
export function natsInboxPrefix(user: string): string {
  return `_INBOX.${user}`;
}

export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
  /** May answer the requests it receives (publish to their reply subjects, once each). */
  readonly allow_responses?: boolean;
}

export interface PermissionOptions {
  /**
   * Also allow the `<ns>.` prefixed subjects and namespaced streams (`METER_<ns>`) tests and
   * the demo use. Stream names then match any stream (`*`): NATS wildcards are whole tokens.
   * Never in production.
   */
  readonly namespaced?: boolean;
}

/** A user's publish/subscribe permissions in nats-server terms. */
export function natsPermissions(spec: NatsUserSpec, options: PermissionOptions = {}): NatsPermissions {
  if (spec.superuser) return { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } };
  const subjects = (logical: readonly string[]): string[] => logical.flatMap((s) => (options.namespaced ? [s, `*.${s}`] : [s]));
  const stream = (name: StreamName): string => (options.namespaced ? '*' : STREAMS[name].name);
  const consumed = unique(spec.consumes.map(stream));
  const declared = spec.managesStreams ? unique((Object.keys(STREAMS) as StreamName[]).map(stream)) : [];
  const publish = [
    ...subjects(spec.publishes),
    ...subjects(spec.consumes.map((name) => `platform.message.deadlettered.${name}`)),
    ...subjects(spec.requests.map(rpcSubject)),
    '$JS.API.INFO',
    ...declared.flatMap((name) => [`$JS.API.STREAM.INFO.${name}`, `$JS.API.STREAM.CREATE.${name}`, `$JS.API.STREAM.UPDATE.${name}`]),
    ...consumed.flatMap((name) => [
      `$JS.API.CONSUMER.CREATE.${name}`,
      `$JS.API.CONSUMER.CREATE.${name}.>`,
      `$JS.API.CONSUMER.DURABLE.CREATE.${name}.>`,
      `$JS.API.CONSUMER.INFO.${name}.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${name}.>`,
      `$JS.ACK.${name}.>`,
    ]),
  ];
  const subscribe = [`${natsInboxPrefix(spec.user)}.>`, ...subjects(spec.serves.map(rpcSubject))];
  return { publish: { allow: unique(publish) }, subscribe: { allow: unique(subscribe) }, ...(spec.serves.length > 0 ? { allow_responses: true } : {}) };
}

/** A literal password, or `{ env }`: the server reads it from its own environment (`$VAR` in the config, as in k8s). */
export type NatsPassword = string | { readonly env: string };

export interface NatsServerConfigOptions extends PermissionOptions {
  readonly passwords: Readonly<Record<NatsUserName, NatsPassword>>;
  /** `host:port` to listen on (omitted: the config sets no listen address). */
  readonly listen?: string;
  /** JetStream store directory (omitted: no jetstream block, e.g. when the caller adds its own). */
  readonly storeDir?: string;
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile?: string };
}

/** The `authorization { users: [...] }` block: every user with its permissions; no anonymous access. */
export function renderNatsAuthorization(options: Pick<NatsServerConfigOptions, 'passwords' | 'namespaced'>, indent = ''): string {
  const list = (items: readonly string[], pad: string): string[] => items.map((item) => `${pad}${JSON.stringify(item)}`);
  const lines = ['authorization {', '  users: ['];
  for (const name of NATS_USER_NAMES) {
    const password = options.passwords[name];
    const permissions = natsPermissions(NATS_USERS[name], options);
    lines.push(
      '    {',
      `      user: ${JSON.stringify(name)}`,
      `      password: ${typeof password === 'string' ? JSON.stringify(password) : `$${password.env}`}`,
      '      permissions: {',
      '        publish: { allow: [',
      ...list(permissions.publish.allow, '          '),
      '        ] }',
      '        subscribe: { allow: [',
      ...list(permissions.subscribe.allow, '          '),
      '        ] }',
      ...(permissions.allow_responses ? ['        allow_responses: true'] : []),
      '      }',
      '    }',
    );
  }
  lines.push('  ]', '}');
  return lines.map((line) => `${indent}${line}`).join('\n');
}

/** A whole nats-server config for one node (local stack, tests): listen, JetStream, TLS, users. */
export function renderNatsServerConfig(options: NatsServerConfigOptions): string {
  const lines = ['# Generated from NATS_USERS (@gridledger/messaging, nats-access.ts): edit that, not this.'];
  if (options.listen) lines.push(`listen: ${JSON.stringify(options.listen)}`);
  if (options.storeDir) lines.push(`jetstream { store_dir: ${JSON.stringify(options.storeDir)} }`);
  if (options.tls) {
    const { certFile, keyFile, caFile } = options.tls;
    lines.push(`tls { cert_file: ${JSON.stringify(certFile)}, key_file: ${JSON.stringify(keyFile)}${caFile ? `, ca_file: ${JSON.stringify(caFile)}` : ''} }`);
  }
  lines.push(renderNatsAuthorization(options));
  return `${lines.join('\n')}\n`;
}

/** Every user's password read from the environment the server runs in (k8s: from a Secret). */
export function passwordsFromServerEnvironment(): Record<NatsUserName, NatsPassword> {
  return Object.fromEntries(NATS_USER_NAMES.map((name) => [name, { env: natsPasswordVariable(name) }])) as Record<NatsUserName, NatsPassword>;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
