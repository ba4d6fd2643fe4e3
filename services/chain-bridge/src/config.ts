import { z } from 'zod';
import { commonConfigSchema } from '@gridledger/service-kit';

const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 32-byte private key as 0x-prefixed hex');
const positiveInt = (fallback: number) => z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be an integer').positive('must be positive').default(fallback);

/**
 * chain-bridge's configuration: the common variables (HTTP_PORT defaults to 3004) plus the
 * chain's. Keys come only from the environment and are never logged (zod's messages name
 * the variable, not its value).
 */
export const configSchema = commonConfigSchema(3004).extend({
  /** This service's NATS user (default chain-bridge) and password; the password is required with NODE_ENV=production (read by service-kit, docs/nats-security.md). */
  CHAIN_NATS_USER: z.string().min(1).optional(),
  CHAIN_NATS_PASSWORD: z.string().min(1).optional(),
  CHAIN_RPC_URL: z.string().url('must be an http(s) JSON-RPC URL').default('http://127.0.0.1:8545'),
  CHAIN_CASCADE_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be the SettlementCascade address (0x + 40 hex)'),
  /** The BRP's (or delegated MPO's) key that commits group periods. */
  CHAIN_COMMITTER_KEY: privateKey,
  /** The TSO's key; without it the bridge commits but does not finalize periods. */
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
});

export type ChainBridgeConfig = z.infer<typeof configSchema>;
