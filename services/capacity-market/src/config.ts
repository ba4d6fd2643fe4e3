import { z } from 'zod';
import { authConfigFields, commonConfigSchema } from '@gridledger/service-kit';

/**
 * capacity-market's configuration: the common variables (HTTP_PORT defaults to 3003), the role
 * registry its signed writes and sessions are checked against (CHAIN_RPC_URL,
 * ROLE_REGISTRY_ADDRESS, … : service-kit's authConfigFields) plus its own.
 */
export const configSchema = commonConfigSchema(3003).extend({
  ...authConfigFields,
  /** This service's NATS user (default capacity-market) and password; the password is required with NODE_ENV=production (read by service-kit, docs/nats-security.md). */
  CAPACITY_NATS_USER: z.string().min(1).optional(),
  CAPACITY_NATS_PASSWORD: z.string().min(1).optional(),
  /** The settlement period length this market allocates (meter events of another length are refused). */
  CAPACITY_PERIOD_LENGTH: z.enum(['PT15M', 'PT60M'], { errorMap: () => ({ message: 'must be PT15M or PT60M' }) }).default('PT15M'),
  /** Gate closure: a period is computed at its end + this grace even if meter values are missing. */
  CAPACITY_GRACE_MS: z.coerce.number({ invalid_type_error: 'must be milliseconds' }).int('must be whole milliseconds').min(0, 'must not be negative').default(2 * 3_600_000),
  /** How often the period worker looks for periods to compute. */
  CAPACITY_WORKER_INTERVAL_MS: z.coerce.number({ invalid_type_error: 'must be milliseconds' }).int('must be whole milliseconds').min(50, 'must be at least 50').default(1000),
  /** After a start the period worker waits for the ingest consumers to catch up once, at most this long (a rebuild's replay). */
  CAPACITY_CATCH_UP_MAX_WAIT_MS: z.coerce.number({ invalid_type_error: 'must be milliseconds' }).int('must be whole milliseconds').min(0, 'must not be negative').default(60_000),
  /** Tests and replays: the service clock starts at this UTC instant and runs at real speed. */
  CAPACITY_CLOCK_START: z.string().datetime({ offset: false, message: 'must be a UTC instant like 2026-03-29T00:55:00Z' }).optional(),
  /** Holder rows per capacity.allocation.computed part. */
  /**
   * Durable consumers are `<prefix>-<name>`. A capacity-market rebuilt on an empty database takes
   * a new prefix, so its consumers read METER and MARKET from the start (docs/integrity.md).
   */
  CAPACITY_CONSUMER_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,48}$/, 'must be 1-48 letters, digits, _ or -')
    .default('capacity-market'),
  CAPACITY_PART_SIZE: z.coerce.number({ invalid_type_error: 'must be a number' }).int('must be an integer').min(1, 'must be positive').max(10_000, 'must be at most 10000').default(1000),
});

export type CapacityMarketConfig = z.infer<typeof configSchema>;
