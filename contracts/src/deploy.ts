import { Contract, ContractFactory, NonceManager, Signer } from 'ethers';
import { RoleRegistryArtifact, SettlementCascadeArtifact } from './artifacts';
import { MARKET_SCOPE, ROLES, RoleName, groupKey } from './ids';

export interface RoleGrant {
  readonly role: RoleName;
  /** The balancing group id (plain string); omitted for market-wide roles (TSO). */
  readonly groupId?: string;
  readonly account: string;
}

export interface DeployCascadeOptions {
  /** Balancing group ids (plain strings) to register. */
  readonly groups: readonly string[];
  readonly grants: readonly RoleGrant[];
}

export interface DeployedCascade {
  readonly registry: Contract;
  readonly cascade: Contract;
  readonly registryAddress: string;
  readonly cascadeAddress: string;
}

/**
 * Deploys RoleRegistry (the deployer is the market operator) and SettlementCascade, registers
 * the groups and grants the roles. Used by tests and the demo.
 */
export async function deployCascade(deployer: Signer, options: DeployCascadeOptions): Promise<DeployedCascade> {
  // Counted nonces: back-to-back transactions must not read a cached "pending" count.
  const signer = deployer instanceof NonceManager ? deployer : new NonceManager(deployer);
  const operator = await signer.getAddress();
  const registryFactory = new ContractFactory(RoleRegistryArtifact.abi, RoleRegistryArtifact.bytecode, signer);
  const registry = (await (await registryFactory.deploy(operator)).waitForDeployment()) as Contract;
  const registryAddress = await registry.getAddress();
  const cascadeFactory = new ContractFactory(SettlementCascadeArtifact.abi, SettlementCascadeArtifact.bytecode, signer);
  const cascade = (await (await cascadeFactory.deploy(registryAddress)).waitForDeployment()) as Contract;
  for (const groupId of options.groups) {
    await (await registry.getFunction('registerGroup')(groupKey(groupId))).wait();
  }
  for (const grant of options.grants) {
    const scope = grant.groupId === undefined ? MARKET_SCOPE : groupKey(grant.groupId);
    await (await registry.getFunction('grantGroupRole')(ROLES[grant.role], scope, grant.account)).wait();
  }
  return { registry, cascade, registryAddress, cascadeAddress: await cascade.getAddress() };
}
