import { z } from 'zod';

/**
 * What a service that authenticates writes and reads needs (unprefixed, like NATS_URL: every
 * service reads the same chain and registry):
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
