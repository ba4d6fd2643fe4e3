import type { z } from 'zod';
import { commonConfigSchema } from '@gridledger/service-kit';

/** capacity-market's configuration: the common variables (HTTP_PORT defaults to 3003) plus its own. */
export const configSchema = commonConfigSchema(3003);

export type CapacityMarketConfig = z.infer<typeof configSchema>;
