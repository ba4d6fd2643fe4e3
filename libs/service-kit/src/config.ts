import { z } from 'zod';
import { NATS_USERS, natsPasswordVariable, natsUserVariable, type NatsServiceName } from '@gridledger/messaging';

/** Configuration was invalid; `problems` names every bad variable and why. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; reason: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable}: ${p.reason}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment once at start-up and fails fast, naming every bad variable (not
 * just the first). Unknown variables are ignored: the environment holds much else.
 */
export function loadConfig<S extends z.ZodTypeAny>(schema: S, env: Record<string, string | undefined> = process.env): z.infer<S> {
  // Treat empty strings as unset, so `FOO=` falls back to the default instead of failing oddly.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.safeParse(cleaned);
  const problems = productionProblems(schema, cleaned);
  if (result.success && problems.length === 0) return result.data;
  throw new ConfigError([
    ...(result.success
      ? []
      : result.error.issues.map((issue) => ({
          variable: issue.path.join('.') || '(environment)',
          reason: issue.message === 'Required' ? 'is required but not set' : issue.message,
        }))),
    ...problems,
  ]);
}

/**
 * Variables whose default suits a laptop but not production: with NODE_ENV=production (set by
 * every service image) they must be set explicitly. A defaulted NATS_STREAM_REPLICAS=1 would
 * otherwise create unreplicated streams on a cluster.
 */
const SET_EXPLICITLY_IN_PRODUCTION = ['NATS_STREAM_REPLICAS'] as const;

function productionProblems(schema: z.ZodTypeAny, env: Record<string, string | undefined>): { variable: string; reason: string }[] {
  if (env.NODE_ENV !== 'production' || !(schema instanceof z.ZodObject)) return [];
  const shape = schema.shape as Record<string, unknown>;
  return SET_EXPLICITLY_IN_PRODUCTION.filter((variable) => variable in shape && env[variable] === undefined).map((variable) => ({
    variable,
    reason: 'must be set explicitly when NODE_ENV=production (1, 3 or 5: the replicas of every JetStream stream)',
  }));
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL');
const natsUrl = z.string().regex(/^(nats|tls|ws|wss):\/\/\S+(,(nats|tls|ws|wss):\/\/\S+)*$/, 'must be a nats:// URL (comma-separated for a cluster)');
const port = z.coerce.number({ invalid_type_error: 'must be a port number' }).int('must be an integer port').min(0, 'must be 0-65535').max(65535, 'must be 0-65535');

/** The variables every service reads (docs/contracts-between-services.md). */
export function commonConfigSchema(defaultHttpPort: number) {
  return z.object({
    NATS_URL: natsUrl.default('nats://127.0.0.1:4222'),
    DATABASE_URL: postgresUrl,
    NATS_NAMESPACE: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -')
      .optional(),
    HTTP_PORT: port.default(defaultHttpPort),
    HTTP_HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: z.enum(LOG_LEVELS, { errorMap: () => ({ message: `must be one of ${LOG_LEVELS.join(', ')}` }) }).default('info'),
    OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url('must be a URL like http://127.0.0.1:4318').optional(),
    /** otlp when an endpoint is set, else none; memory is for tests. */
    OTEL_TRACES_EXPORTER: z.enum(['otlp', 'memory', 'none']).optional(),
    /** Milliseconds spans wait before an OTLP export. */
    OTEL_BSP_SCHEDULE_DELAY: z.coerce.number({ invalid_type_error: 'must be milliseconds' }).int('must be whole milliseconds').positive('must be positive').optional(),
    /** JetStream stream replicas: 1 locally, 3 on a clustered NATS (k8s). */
    /** PEM file of the CA that signed NATS's certificate; set, the connection requires TLS (k8s). */
    NATS_TLS_CA: z.string().min(1).optional(),
    NATS_STREAM_REPLICAS: z.coerce.number({ invalid_type_error: 'must be 1, 3 or 5' }).refine((n) => n === 1 || n === 3 || n === 5, 'must be 1, 3 or 5').default(1),
  });
}

export type CommonConfig = z.infer<ReturnType<typeof commonConfigSchema>>;

export interface NatsConnectionConfig {
  readonly credentials?: { readonly user: string; readonly password: string };
  readonly tlsCaFile?: string;
}

/**
 * The service's NATS user and password: `<PREFIX>NATS_USER` (default: the service's name) and
 * `<PREFIX>NATS_PASSWORD` with the service's prefix (METER_INGEST_, BALANCING_, CAPACITY_, CHAIN_),
 * so one environment can hold every service's and each picks its own; `NATS_USER`/`NATS_PASSWORD`
 * for anything else. Without a password it connects anonymously, which an auth-enabled server
 * refuses; with NODE_ENV=production the password is required.
 */
export function loadNatsConnectionConfig(service: string, env: Record<string, string | undefined> = process.env): NatsConnectionConfig {
  const known = service in NATS_USERS && !NATS_USERS[service as NatsServiceName].superuser;
  const userVariable = known ? natsUserVariable(service as NatsServiceName) : 'NATS_USER';
  const passwordVariable = known ? natsPasswordVariable(service as NatsServiceName) : 'NATS_PASSWORD';
  const password = env[passwordVariable] || undefined;
  const user = env[userVariable] || (known ? service : undefined);
  const problems: { variable: string; reason: string }[] = [];
  if (!password && env.NODE_ENV === 'production') problems.push({ variable: passwordVariable, reason: 'must be set when NODE_ENV=production (the NATS password of this service\'s user, docs/nats-security.md)' });
  if (password && !user) problems.push({ variable: userVariable, reason: 'must be set when a NATS password is' });
  if (problems.length > 0) throw new ConfigError(problems);
  const tlsCaFile = env.NATS_TLS_CA || undefined;
  return { ...(password && user ? { credentials: { user, password } } : {}), ...(tlsCaFile ? { tlsCaFile } : {}) };
}

/**
 * What a service that authenticates writes and reads needs (docs/trust.md), common to every
 * such service like NATS_URL (they all read the same chain and registry):
 * - CHAIN_RPC_URL: the EVM node the RoleRegistry lives on.
 * - ROLE_REGISTRY_ADDRESS: the RoleRegistry (the SettlementCascade is its own registry); also
 *   the `verifyingContract` of every signed request and the session URI.
 * - ROLE_REGISTRY_FROM_BLOCK: where the mirror starts reading the registry's events (default 0;
 *   the deployment block on a long chain).
 * - ROLE_MIRROR_POLL_MS: how often the mirror asks the node for new events (default 1000).
 */
export const authConfigFields = {
  CHAIN_RPC_URL: z.string().regex(/^(https?|wss?):\/\/\S+$/, 'must be an http(s):// or ws(s):// URL of the EVM node'),
  ROLE_REGISTRY_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be the RoleRegistry address (0x and 40 hex digits)'),
  ROLE_REGISTRY_FROM_BLOCK: z.coerce.number().int().min(0).default(0),
  ROLE_MIRROR_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
};

export const authConfigSchema = z.object(authConfigFields);
export type AuthConfig = z.infer<typeof authConfigSchema>;
