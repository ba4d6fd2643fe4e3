import { Contract, ContractFactory, JsonRpcProvider, NonceManager, Wallet } from 'ethers';
import { ROLE_IDS, authEnvironment, groupKey, scopeKey, type AuthEnvironment, type Role } from '@gridledger/auth';
import { RoleRegistryArtifact } from './artifacts';

/**
 * A RoleRegistry deployed on a node (a test's anvil) and driven by its administrator: the
 * environment to sign requests and sessions for, the variables a service boots with, and
 * grant/revoke as `npm run chain -- grant|revoke` does them.
 */
export interface RoleChain {
  readonly registryAddress: string;
  readonly environment: AuthEnvironment;
  /** CHAIN_RPC_URL, ROLE_REGISTRY_ADDRESS and a fast mirror poll, for a service's environment. */
  readonly env: Record<string, string>;
  /** Grants `role` for `scope` (group, grid area or plant id; MARKET for market roles); registers a BRP's group first. */
  grant(role: Role, scope: string, account: string): Promise<void>;
  revoke(role: Role, scope: string, account: string): Promise<void>;
  /** Closes the connection (the node is the caller's). */
  close(): void;
}

export async function deployRoleChain(rpcUrl: string, adminKey: string, options: { pollMs?: number } = {}): Promise<RoleChain> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const admin = new NonceManager(new Wallet(adminKey, provider));
    const factory = new ContractFactory(RoleRegistryArtifact.abi, RoleRegistryArtifact.bytecode, admin);
    const registry = (await (await factory.deploy(await admin.getAddress(), 3600, 0, [])).waitForDeployment()) as Contract;
    const registryAddress = await registry.getAddress();
    const send = async (name: string, ...args: unknown[]) => {
      await (await registry.getFunction(name)(...args)).wait();
    };
    const chainId = BigInt(await provider.send('eth_chainId', []));
    return {
      registryAddress,
      environment: authEnvironment(chainId, registryAddress),
      env: { CHAIN_RPC_URL: rpcUrl, ROLE_REGISTRY_ADDRESS: registryAddress, ROLE_MIRROR_POLL_MS: String(options.pollMs ?? 200) },
      async grant(role, scope, account) {
        if (role === 'BRP' && !(await registry.getFunction('isGroupRegistered')(groupKey(scope)))) await send('registerGroup', groupKey(scope));
        await send('grantGroupRole', ROLE_IDS[role], scopeKey(role, scope), account);
      },
      async revoke(role, scope, account) {
        await send('revokeGroupRole', ROLE_IDS[role], scopeKey(role, scope), account);
      },
      close: () => provider.destroy(),
    };
  } catch (error) {
    provider.destroy();
    throw error;
  }
}
