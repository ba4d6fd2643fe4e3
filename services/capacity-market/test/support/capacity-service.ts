import { Wallet } from 'ethers';
import { MARKET, type AuthEnvironment, type RequestSigner, type Role } from '@gridledger/auth';
import { deployRoleChain, type RoleChain } from '@gridledger/contracts';
import { AuthService, bootstrapService, type RunningService } from '@gridledger/service-kit';
import {
  anvilDevKey,
  createTestDatabase,
  deleteNamespaceStreams,
  randomNamespace,
  sessionFetch,
  signedFetch,
  startAnvil,
  testNatsEnv,
  waitFor,
  type AnvilInstance,
  type SessionSigner,
  type TestDatabase,
} from '@gridledger/testing';
import type { CapacityMarketConfig } from '../../src/config';
import { capacityMarketService } from '../../src/service';

/** A RoleRegistry on a fresh anvil with a market operator, for capacity-market's processes (in-process or spawned). */
export interface CapacityChain {
  readonly anvil: AnvilInstance;
  readonly chain: RoleChain;
  readonly environment: AuthEnvironment;
  /** Holds MARKET_OPERATOR. */
  readonly operator: Wallet;
  /** CHAIN_RPC_URL, ROLE_REGISTRY_ADDRESS, a fast mirror poll. */
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export async function startCapacityChain(): Promise<CapacityChain> {
  const anvil = await startAnvil();
  const chain = await deployRoleChain(anvil.url, anvilDevKey(0));
  const operator = Wallet.createRandom() as unknown as Wallet;
  await chain.grant('MARKET_OPERATOR', MARKET, operator.address);
  return {
    anvil,
    chain,
    environment: chain.environment,
    operator,
    env: chain.env,
    async close() {
      chain.close();
      await anvil.stop();
    },
  };
}

/** A fresh participant key (a holder, a plant operator, a stranger). */
export function participant(): Wallet {
  return Wallet.createRandom() as unknown as Wallet;
}

/** capacity-market booted in-process against a role chain, a fresh database and a NATS namespace. */
export interface CapacityTestService {
  readonly url: string;
  readonly namespace: string;
  readonly running: RunningService<CapacityMarketConfig>;
  readonly db: TestDatabase;
  readonly roles: CapacityChain;
  readonly operator: Wallet;
  /** Grants a role on chain and waits until the service's mirror has it. */
  grant(role: Role, scope: string, account: string): Promise<void>;
  revoke(role: Role, scope: string, account: string): Promise<void>;
  /** POST `path` with `body` signed by `signer` for this deployment. */
  post(signer: RequestSigner, path: string, body: unknown): Promise<Response>;
  /** GET `path` in a read session of `reader`. */
  read(reader: SessionSigner, path: string): Promise<Response>;
  stop(): Promise<void>;
}

export async function startCapacityService(extraEnv: Record<string, string> = {}): Promise<CapacityTestService> {
  const roles = await startCapacityChain();
  const db = await createTestDatabase();
  const namespace = randomNamespace();
  const running = await bootstrapService(
    capacityMarketService({
      ...testNatsEnv(),
      DATABASE_URL: db.url,
      NATS_NAMESPACE: namespace,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      CAPACITY_CLOCK_START: '2026-03-29T00:00:00Z',
      ...roles.env,
      ...extraEnv,
    }),
  );
  const mirror = running.app.get(AuthService).roles;
  return {
    url: running.url,
    namespace,
    running,
    db,
    roles,
    operator: roles.operator,
    async grant(role, scope, account) {
      await roles.chain.grant(role, scope, account);
      await waitFor(() => mirror.has(role, scope, account), { timeoutMs: 10_000, what: `${role} of ${scope} mirrored` });
    },
    async revoke(role, scope, account) {
      await roles.chain.revoke(role, scope, account);
      await waitFor(() => !mirror.has(role, scope, account), { timeoutMs: 10_000, what: `${role} of ${scope} revoked in the mirror` });
    },
    post: (signer, path, body) => signedFetch(running.url, signer, roles.environment, { method: 'POST', path, body }),
    read: (reader, path) => sessionFetch(running.url, reader, roles.environment, path),
    async stop() {
      await running.close();
      await deleteNamespaceStreams(namespace);
      await db.drop();
      await roles.close();
    },
  };
}
