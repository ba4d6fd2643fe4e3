import type { z } from 'zod';
import { commonConfigSchema } from '@gridledger/service-kit';

/** chain-bridge's configuration: the common variables (HTTP_PORT defaults to 3004) plus its own. */
export const configSchema = commonConfigSchema(3004);

export type ChainBridgeConfig = z.infer<typeof configSchema>;
