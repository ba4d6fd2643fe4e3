import { z } from 'zod';
import { loadConfig } from '@gridledger/service-kit';

const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s):// URL').transform((url) => url.replace(/\/$/, ''));

/**
 * The console server's environment (prefix CONSOLE_, plus the common NATS_/HTTP_ ones). The
 * service URLs are where the server reaches the services' APIs; the chain RPC URL and the
 * contract address are handed to the browser, which verifies proofs there itself.
 */
export const consoleConfigSchema = z.object({
  HTTP_PORT: z.coerce.number({ invalid_type_error: 'must be a port number' }).int().min(0).max(65535).default(3000),
  NATS_URL: z.string().regex(/^(nats|tls|ws|wss):\/\/\S+$/, 'must be a nats:// URL').default('nats://127.0.0.1:4222'),
  NATS_NAMESPACE: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 letters, digits, _ or -').optional(),
  CONSOLE_METER_INGEST_URL: httpUrl.default('http://127.0.0.1:3001'),
  CONSOLE_BALANCING_URL: httpUrl.default('http://127.0.0.1:3002'),
  CONSOLE_CAPACITY_URL: httpUrl.default('http://127.0.0.1:3003'),
  CONSOLE_CHAIN_BRIDGE_URL: httpUrl.default('http://127.0.0.1:3004'),
  /** The JSON-RPC URL the browser calls (must be reachable from the browser, CORS allowed: anvil allows it). */
  CONSOLE_CHAIN_RPC_URL: httpUrl.default('http://127.0.0.1:8545'),
  /** Where the server itself reaches the chain (the chain id, the operator's role); default CONSOLE_CHAIN_RPC_URL. */
  CONSOLE_SERVER_CHAIN_RPC_URL: httpUrl.optional(),
  CONSOLE_CASCADE_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address').optional(),
  /** Sign-in (SIWE read sessions) names the deployment: its chain id and RoleRegistry (default: the cascade address, as the demo deploys them). */
  CONSOLE_CHAIN_ID: z.coerce.number({ invalid_type_error: 'must be a chain id' }).int().positive().optional(),
  CONSOLE_ROLE_REGISTRY_ADDRESS: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address').optional(),
  /** The console reads every stream and re-drives dead letters: it logs in to NATS as the operator (docs/nats-security.md). */
  NATS_OPERATOR_USER: z.string().min(1).default('operator'),
  NATS_OPERATOR_PASSWORD: z.string().min(1).optional(),
  /** PEM file of the CA that signed NATS's certificate (k8s: TLS). */
  NATS_TLS_CA: z.string().min(1).optional(),
  /** The built web app (vite build); default apps/console/dist. */
  CONSOLE_STATIC_DIR: z.string().optional(),
});
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

export function loadConsoleConfig(env: Record<string, string | undefined> = process.env): ConsoleConfig {
  return loadConfig(consoleConfigSchema, env);
}

export const SERVICE_NAMES = ['meter-ingest', 'balancing', 'capacity-market', 'chain-bridge'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export function serviceUrls(config: ConsoleConfig): Record<ServiceName, string> {
  return {
    'meter-ingest': config.CONSOLE_METER_INGEST_URL,
    balancing: config.CONSOLE_BALANCING_URL,
    'capacity-market': config.CONSOLE_CAPACITY_URL,
    'chain-bridge': config.CONSOLE_CHAIN_BRIDGE_URL,
  };
}
