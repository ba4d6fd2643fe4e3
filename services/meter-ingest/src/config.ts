import { z } from 'zod';
import { authConfigFields, commonConfigSchema } from '@gridledger/service-kit';
import { DEFAULT_SEGMENT_BYTES } from './manifests/manifest-segments';

/** The correction window of the chain (45 days): values and registry changes older than it are refused. */
export const DEFAULT_CORRECTION_WINDOW_MS = 45 * 24 * 3600 * 1000;

/**
 * meter-ingest's configuration: the common variables (HTTP_PORT defaults to 3001), the role
 * registry (CHAIN_RPC_URL, ROLE_REGISTRY_ADDRESS, … : service-kit's authConfigFields) plus:
 * - METER_INGEST_MAX_BODY_BYTES: largest request body (default 32 MiB), answered 413 above.
 * - METER_INGEST_MAX_BATCH_ENTRIES: most values per batch (default 50 000).
 * - METER_INGEST_CORRECTION_WINDOW_MS: how far back values and registry changes may reach
 *   (default 45 days, the cascade's correction window); older ones are refused, naming it.
 * - METER_INGEST_MANIFEST_INTERVAL_MS: how often dirty group-periods get their manifest
 *   computed and published (default 1000).
 * - METER_INGEST_MANIFEST_LINES_MIB: memory for the canonical lines of recent batches, from
 *   which manifests are digested without reading the values again (default 64; 0: always SQL).
 */
export const configSchema = commonConfigSchema(3001).extend({
  ...authConfigFields,
  /** This service's NATS user (default meter-ingest) and password; the password is required with NODE_ENV=production (read by service-kit, docs/nats-security.md). */
  METER_INGEST_NATS_USER: z.string().min(1).optional(),
  METER_INGEST_NATS_PASSWORD: z.string().min(1).optional(),
  METER_INGEST_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(32 * 1024 * 1024),
  METER_INGEST_MAX_BATCH_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(50_000),
  METER_INGEST_CORRECTION_WINDOW_MS: z.coerce.number().int().min(15 * 60 * 1000).default(DEFAULT_CORRECTION_WINDOW_MS),
  METER_INGEST_MANIFEST_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(1000),
  METER_INGEST_MANIFEST_LINES_MIB: z.coerce.number().int().min(0).max(16_384).default(DEFAULT_SEGMENT_BYTES / 2 ** 20),
});

export type MeterIngestConfig = z.infer<typeof configSchema>;
