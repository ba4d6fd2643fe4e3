import { Wallet } from 'ethers';
import { MARKET, type AuthEnvironment, type Role } from '@gridledger/auth';
import { deployRoleChain, type RoleChain } from '@gridledger/contracts';
import { bootstrapService, type RunningService } from '@gridledger/service-kit';
import { anvilDevKey, sessionHeaders, signedFetch, startAnvil, testNatsEnv, type AnvilInstance, type SignedCall } from '@gridledger/testing';
import type { BalancingConfig } from '../../src/config';
import { balancingService } from '../../src/service';

/**
 * A RoleRegistry on a throwaway anvil for balancing's specs, with a market operator: the
 * variables balancing boots with (CHAIN_RPC_URL, ROLE_REGISTRY_ADDRESS), and the operator's
 * read session and signed writes, as a service-level reader and price setter.
 */
export interface TestRoles {
  readonly anvil: AnvilInstance;
  readonly chain: RoleChain;
  readonly environment: AuthEnvironment;
  /** For the service's environment. */
  readonly env: Record<string, string>;
  /** Holds MARKET_OPERATOR. */
  readonly operator: Wallet;
  /** `Authorization` of the operator's read session (≤ 1 h, made once). */
  asOperator(): Promise<Record<string, string>>;
  /** GET `url` in the operator's read session. */
  read(url: string): Promise<Response>;
  /** `call` signed by `signer` (default the operator) against `baseUrl`. */
  signed(baseUrl: string, call: SignedCall, signer?: Wallet): Promise<Response>;
  grant(role: Role, scope: string, account: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestRoles(): Promise<TestRoles> {
  const anvil = await startAnvil();
  const chain = await deployRoleChain(anvil.url, anvilDevKey(0));
  const operator = Wallet.createRandom() as unknown as Wallet;
  await chain.grant('MARKET_OPERATOR', MARKET, operator.address);
  let session: Promise<Record<string, string>> | undefined;
  const asOperator = () => (session ??= sessionHeaders(operator, chain.environment));
  return {
    anvil,
    chain,
    environment: chain.environment,
    env: chain.env,
    operator,
    asOperator,
    read: async (url) => fetch(url, { headers: await asOperator() }),
    signed: (baseUrl, call, signer = operator) => signedFetch(baseUrl, signer, chain.environment, call),
    grant: (role, scope, account) => chain.grant(role, scope, account),
    async stop() {
      chain.close();
      await anvil.stop();
    },
  };
}

/** balancing in this process on `databaseUrl` and `namespace`, its HTTP on a free port, mirroring `roles`' registry; `env` last. */
export function bootstrapBalancing(databaseUrl: string, namespace: string, roles: TestRoles, env: Record<string, string> = {}): Promise<RunningService<BalancingConfig>> {
  return bootstrapService(
    balancingService({ ...testNatsEnv(), DATABASE_URL: databaseUrl, NATS_NAMESPACE: namespace, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', ...roles.env, ...env }),
  );
}
