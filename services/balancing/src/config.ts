import { z } from 'zod';
import { authConfigFields, commonConfigSchema } from '@gridledger/service-kit';

const positiveMs = (what: string) => z.coerce.number({ invalid_type_error: `must be ${what} in milliseconds` }).int('must be an integer number of ms').positive('must be positive');

/**
 * balancing's configuration: the common variables (HTTP_PORT defaults to 3002), the role
 * registry (CHAIN_RPC_URL, ROLE_REGISTRY_ADDRESS, … : service-kit's authConfigFields; signed
 * writes and read sessions, docs/authorization.md) plus its own.
 */
export const configSchema = commonConfigSchema(3002).extend({
  ...authConfigFields,
  /** This service's NATS user (default balancing) and password; the password is required with NODE_ENV=production (read by service-kit, docs/nats-security.md). */
  BALANCING_NATS_USER: z.string().min(1).optional(),
  BALANCING_NATS_PASSWORD: z.string().min(1).optional(),
  /** Gate closure deadline after the period end; missing meters are substituted then. */
  BALANCING_GATE_DEADLINE_MS: positiveMs('a duration').default(30 * 60_000),
  /** Schedules and prices for a period that started longer ago than this are refused (OUTSIDE_WINDOW); the contract's default window is 45 days. */
  BALANCING_CORRECTION_WINDOW_MS: positiveMs('a duration').default(45 * 86_400_000),
  /** Schedules and prices for a period starting further ahead than this are refused (OUTSIDE_WINDOW). */
  BALANCING_INPUT_HORIZON_MS: positiveMs('a duration').default(7 * 86_400_000),
  /** How often the settlement worker looks for due group-periods. */
  BALANCING_SETTLE_INTERVAL_MS: positiveMs('a duration').default(1000),
  /** Group-periods settled concurrently by one replica (overlaps Postgres I/O and hashing). */
  BALANCING_SETTLE_CONCURRENCY: z.coerce.number().int().min(1, 'must be at least 1').max(16, 'must be at most 16').default(2),
  /** A group-period whose settlement throws this many times in a row is parked (skipped until a new input). */
  BALANCING_SETTLE_MAX_FAILURES: z.coerce.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(5),
  /** After a failed settlement a group-period waits this long before it is tried again. */
  BALANCING_SETTLE_RETRY_BACKOFF_MS: positiveMs('a duration').default(10_000),
  /** Worker threads hashing Merkle trees (0 = on the main thread). */
  BALANCING_MERKLE_THREADS: z.coerce.number().int().min(0, 'must be 0 or more').max(16, 'must be at most 16').default(2),
  /**
   * Settling waits while the consumers still have messages pending, so a replay or a backlog
   * settles on the whole input; after this long behind it settles anyway.
   */
  BALANCING_CATCH_UP_MAX_WAIT_MS: positiveMs('a duration').default(60_000),
  /** How long JetStream waits for an ack before redelivering (what a crashed replica held). */
  BALANCING_CONSUMER_ACK_WAIT_MS: positiveMs('a duration').default(60_000),
  /**
   * Settle a group-period only when balancing's values match meter-ingest's manifest
   * (docs/integrity.md). Off only where no meter-ingest runs (balancing's own tests).
   */
  BALANCING_REQUIRE_MANIFEST: z.enum(['true', 'false'], { errorMap: () => ({ message: 'must be true or false' }) }).default('true').transform((value) => value === 'true'),
  /** A group-period waiting for a re-send asks meter-ingest again after this long. */
  BALANCING_RESEND_RETRY_MS: positiveMs('a duration').default(30_000),
  /** How often the reconciler compares meter-ingest, balancing, capacity-market and the chain. */
  BALANCING_RECONCILE_INTERVAL_MS: positiveMs('a duration').default(10_000),
  /** The reconciler compares the periods that started in this window before now. */
  BALANCING_RECONCILE_LOOKBACK_MS: positiveMs('a duration').default(3 * 24 * 3_600_000),
  /** Durable consumer names start with this (a replay into a fresh database uses a new prefix). */
  /**
   * The key each version's Merkle leaf salts derive from (0x + at least 32 bytes of hex; see
   * libs/domain leaf-salt.ts). Secret: whoever holds it can brute-force neighbours' energies
   * from served proofs. Every replica needs the same key, and it must not change while
   * versions salted with it can still be asked for proofs. Unset: a key generated once and
   * kept in balancing's own schema (fine for one database; set it from a Secret in k8s).
   */
  BALANCING_LEAF_SALT_KEY: z
    .string()
    .regex(/^0x([0-9a-fA-F]{2}){32,}$/, 'must be 0x-prefixed hex of at least 32 bytes')
    .optional(),
  BALANCING_CONSUMER_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,48}$/, 'must be 1-48 letters, digits, _ or -')
    .default('balancing'),
});

export type BalancingConfig = z.infer<typeof configSchema>;

/** The input window of schedules and prices (libs/settlement `periodWindowProblem`) at `nowMs`. */
export function inputWindowAt(config: BalancingConfig, nowMs: number): { nowMs: number; pastMs: number; aheadMs: number } {
  return { nowMs, pastMs: config.BALANCING_CORRECTION_WINDOW_MS, aheadMs: config.BALANCING_INPUT_HORIZON_MS };
}
