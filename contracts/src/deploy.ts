import { Contract, ContractFactory, NonceManager, Signer } from 'ethers';
import { SettlementCascadeArtifact } from './artifacts';
import { MARKET, ROLES, RoleName, groupKey, scopeKey } from './ids';

export interface RoleGrant {
  readonly role: RoleName;
  /** The scope's plain id: a grid area (DSO), a group (MPO, BRP, SUPPLIER), a plant (PLANT_OPERATOR); omitted for market-wide roles (TSO, MARKET_OPERATOR). */
  readonly scope?: string;
  /** Earlier name of `scope`, still read when `scope` is absent. */
  readonly groupId?: string;
  readonly account: string;
}

/** The registry's scope key of a grant. */
export function grantScopeKey(grant: RoleGrant): string {
  return scopeKey(grant.role, grant.scope ?? grant.groupId ?? MARKET);
}

export interface DeployCascadeOptions {
  /** Balancing group ids (plain strings) of the market at its opening. */
  readonly groups: readonly string[];
  readonly grants: readonly RoleGrant[];
  /** The first period (unix seconds) the opening groups count for; default 0 (every period). */
  readonly openingPeriod?: bigint;
  /** Seconds after a period's end during which it may be committed and corrected; default 45 days. */
  readonly correctionWindowSeconds?: number;
  /** Seconds between beginning and accepting an administrator transfer; default 2 days. */
  readonly adminDelaySeconds?: number;
  /** The administrator; default the deployer (who must then be it to grant the roles). */
  readonly admin?: string;
}

export const DEFAULT_CORRECTION_WINDOW_SECONDS = 45 * 24 * 3600;
export const DEFAULT_ADMIN_DELAY_SECONDS = 2 * 24 * 3600;

export interface DeployedCascade {
  readonly registry: Contract;
  readonly cascade: Contract;
  readonly registryAddress: string;
  readonly cascadeAddress: string;
}

/**
 * Deploys SettlementCascade, which is its own RoleRegistry (with the opening groups; the
 * deployer is the market operator unless `admin` says otherwise), and grants the roles. Used by
 * tests, the demo and the chain command.
 */
export async function deployCascade(deployer: Signer, options: DeployCascadeOptions): Promise<DeployedCascade> {
  // Counted nonces: back-to-back transactions must not read a cached "pending" count.
  const signer = deployer instanceof NonceManager ? deployer : new NonceManager(deployer);
  const operator = await signer.getAddress();
  const factory = new ContractFactory(SettlementCascadeArtifact.abi, SettlementCascadeArtifact.bytecode, signer);
  const cascade = (await (
    await factory.deploy(
      options.admin ?? operator,
      options.adminDelaySeconds ?? DEFAULT_ADMIN_DELAY_SECONDS,
      options.openingPeriod ?? 0n,
      options.groups.map(groupKey),
      options.correctionWindowSeconds ?? DEFAULT_CORRECTION_WINDOW_SECONDS,
    )
  ).waitForDeployment()) as Contract;
  const cascadeAddress = await cascade.getAddress();
  // The cascade is its own role registry (one storage read per commit instead of a call).
  const registry = cascade;
  // Sent back to back (counted nonces), then awaited together: a chain mining a block a second
  // takes one block for them all instead of one per grant (the latency bench grants ~150).
  const sent = [];
  for (const grant of options.grants) sent.push(await registry.getFunction('grantGroupRole')(ROLES[grant.role], grantScopeKey(grant), grant.account));
  for (const transaction of sent) await transaction.wait();
  return { registry, cascade, registryAddress: cascadeAddress, cascadeAddress };
}
