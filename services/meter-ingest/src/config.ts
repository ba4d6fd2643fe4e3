import type { z } from 'zod';
import { commonConfigSchema } from '@gridledger/service-kit';

/** meter-ingest's configuration: the common variables (HTTP_PORT defaults to 3001) plus its own. */
export const configSchema = commonConfigSchema(3001);

export type MeterIngestConfig = z.infer<typeof configSchema>;
