import { z } from 'zod';
import { authConfigFields, commonConfigSchema } from '@gridledger/service-kit';

const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 32-byte private key as 0x-prefixed hex');
const positiveInt = (fallback: number) => z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be an integer').positive('must be positive').default(fallback);

/** What a chain-bridge process does: commit group versions (the BRP's key) or finalize periods (the TSO's). */
export const CHAIN_MODES = ['committer', 'finalizer'] as const;
export type ChainMode = (typeof CHAIN_MODES)[number];

/** The mode of the environment a process starts in (before its config is validated). */
export function chainModeOf(env: Record<string, string | undefined>): ChainMode {
  return env.CHAIN_MODE === 'finalizer' ? 'finalizer' : 'committer';
}

/**
 * chain-bridge's configuration: the common variables (HTTP_PORT defaults to 3004), the role
 * registry its read sessions are checked against (ROLE_REGISTRY_ADDRESS, … : service-kit's
 * authConfigFields; the cascade is its own registry, so usually CHAIN_CASCADE_ADDRESS) plus the
 * chain's. Keys come only from the environment and are never logged (zod's messages name
 * the variable, not its value). Separation of duties: a committer holds the committer key and
 * never the TSO's; a finalizer (its own Deployment) holds the TSO's key and no other.
 */
export const configSchema = commonConfigSchema(3004)
  .extend({
    ...authConfigFields,
    CHAIN_MODE: z.enum(CHAIN_MODES, { errorMap: () => ({ message: 'must be committer or finalizer' }) }).default('committer'),
    /** This service's NATS user (default chain-bridge) and password; the password is required with NODE_ENV=production (read by service-kit, docs/nats-security.md). */
    CHAIN_NATS_USER: z.string().min(1).optional(),
    CHAIN_NATS_PASSWORD: z.string().min(1).optional(),
    CHAIN_RPC_URL: z.string().url('must be an http(s) JSON-RPC URL').default('http://127.0.0.1:8545'),
    CHAIN_CASCADE_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be the SettlementCascade address (0x + 40 hex)'),
    /** Committer only: the group's BRP key that commits group periods. */
    CHAIN_COMMITTER_KEY: privateKey.optional(),
    /** Finalizer only: the TSO's key. */
    CHAIN_TSO_KEY: privateKey.optional(),
    CHAIN_CONFIRMATIONS: positiveInt(3),
    CHAIN_POLL_INTERVAL_MS: positiveInt(1000),
    /** Ceiling of the backoff while the chain does not answer. */
    CHAIN_RETRY_MAX_MS: positiveInt(30_000),
    CHAIN_RPC_TIMEOUT_MS: positiveInt(5_000),
    /** An unmined transaction older than this is replaced with higher fees. */
    CHAIN_STUCK_AFTER_MS: positiveInt(60_000),
    CHAIN_MAX_FEE_BUMPS: z.coerce.number().int().min(0).max(10).default(3),
    CHAIN_MAX_FEE_GWEI: positiveInt(500),
    /** Committer: at most this many group versions of one period in one commitPeriodBatch transaction (1 = one commit per transaction). */
    CHAIN_COMMIT_BATCH_MAX: positiveInt(50).pipe(z.number().max(200, 'must be at most 200')),
  })
  .superRefine((config, ctx) => {
    const refuse = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    if (config.CHAIN_MODE === 'committer') {
      if (!config.CHAIN_COMMITTER_KEY) refuse('CHAIN_COMMITTER_KEY', 'is required (CHAIN_MODE=committer)');
      if (config.CHAIN_TSO_KEY) refuse('CHAIN_TSO_KEY', 'must not be set for a committer: the TSO key belongs to the finalizer (CHAIN_MODE=finalizer), its own process');
    } else {
      if (!config.CHAIN_TSO_KEY) refuse('CHAIN_TSO_KEY', 'is required (CHAIN_MODE=finalizer)');
      if (config.CHAIN_COMMITTER_KEY) refuse('CHAIN_COMMITTER_KEY', 'must not be set for a finalizer: it commits nothing');
    }
  });

export type ChainBridgeConfig = z.infer<typeof configSchema>;
