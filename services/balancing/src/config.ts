import type { z } from 'zod';
import { commonConfigSchema } from '@gridledger/service-kit';

/** balancing's configuration: the common variables (HTTP_PORT defaults to 3002) plus its own. */
export const configSchema = commonConfigSchema(3002);

export type BalancingConfig = z.infer<typeof configSchema>;
