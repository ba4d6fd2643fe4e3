import { Contract, JsonRpcProvider, NonceManager, Wallet, getAddress } from 'ethers';
import {
  DEFAULT_ADMIN_DELAY_SECONDS,
  DEFAULT_CORRECTION_WINDOW_SECONDS,
  DeployCascadeOptions,
  ROLES,
  RoleGrant,
  RoleName,
  SettlementCascadeArtifact,
  deployCascade,
  grantScopeKey,
  groupKey,
} from '@gridledger/contracts';

/**
 * The market operator's commands against any RPC endpoint: deploy the cascade (which is its
 * own role registry), grant and revoke group roles, and read where things stand. Keys come
 * from the environment, never from the command line (process lists show arguments).
 */
/** deployCascade's options with durations in milliseconds (the team's unit for configuration). */
export type DeployRequest = Omit<DeployCascadeOptions, 'correctionWindowSeconds' | 'adminDelaySeconds'> & {
  readonly correctionWindowMs?: number;
  readonly adminDelayMs?: number;
};

export interface Deployed {
  readonly cascadeAddress: string;
  readonly chainId: number;
  readonly admin: string;
  readonly blockNumber: number;
}

export async function deploy(provider: JsonRpcProvider, key: string, request: DeployRequest): Promise<Deployed> {
  const deployer = new NonceManager(new Wallet(key, provider));
  const deployerAddress = await deployer.getAddress();
  const admin = getAddress(request.admin ?? deployerAddress);
  if (admin !== deployerAddress && request.grants.length > 0) {
    throw new Error(`grants at deployment need the deploying key to be the administrator (${admin}); run "grant" with the administrator's key instead`);
  }
  const { cascade, cascadeAddress } = await deployCascade(deployer, {
    groups: request.groups,
    grants: request.grants,
    admin,
    openingPeriod: request.openingPeriod,
    correctionWindowSeconds: request.correctionWindowMs === undefined ? DEFAULT_CORRECTION_WINDOW_SECONDS : seconds(request.correctionWindowMs),
    adminDelaySeconds: request.adminDelayMs === undefined ? DEFAULT_ADMIN_DELAY_SECONDS : seconds(request.adminDelayMs),
  });
  const deployment = cascade.deploymentTransaction();
  const receipt = deployment ? await provider.getTransactionReceipt(deployment.hash) : null;
  return { cascadeAddress, chainId: Number((await provider.getNetwork()).chainId), admin, blockNumber: receipt?.blockNumber ?? 0 };
}

/** Grants or revokes `role` (for its scope, or market-wide for TSO and market operator) with the administrator's key. */
export async function changeRole(provider: JsonRpcProvider, key: string, cascadeAddress: string, change: 'grant' | 'revoke', grant: RoleGrant): Promise<{ txHash: string; changed: boolean }> {
  const cascade = new Contract(cascadeAddress, SettlementCascadeArtifact.abi, new Wallet(key, provider));
  const scope = grantScopeKey(grant);
  const name = change === 'grant' ? 'grantGroupRole' : 'revokeGroupRole';
  const receipt = await (await cascade.getFunction(name)(ROLES[grant.role], scope, grant.account)).wait();
  if (!receipt) throw new Error(`${name} was dropped`);
  // The registry emits its event only when the role actually changed.
  return { txHash: receipt.hash, changed: receipt.logs.length > 0 };
}

export interface GroupStatus {
  readonly groupId: string;
  readonly registered: boolean;
  readonly fromPeriod: string;
  readonly untilPeriod: string | null;
  readonly brp: string | null;
}

export interface CascadeStatus {
  readonly cascadeAddress: string;
  readonly chainId: number;
  readonly admin: string;
  readonly pendingAdmin: string | null;
  readonly adminDelaySeconds: number;
  readonly correctionWindowSeconds: number;
  readonly groupsRequiredNow: number;
  readonly groups: readonly GroupStatus[];
  readonly roles: readonly { role: RoleName; scope: string | null; account: string; holds: boolean }[];
}

const NEVER = 2n ** 48n - 1n;
const ZERO = '0x0000000000000000000000000000000000000000';

/** Where the cascade stands: administrator, window, groups asked about and role checks asked for. */
export async function status(provider: JsonRpcProvider, cascadeAddress: string, groups: readonly string[], checks: readonly RoleGrant[]): Promise<CascadeStatus> {
  const cascade = new Contract(cascadeAddress, SettlementCascadeArtifact.abi, provider);
  const call = (name: string, ...args: unknown[]) => cascade.getFunction(name)(...args);
  const now = BigInt((await provider.getBlock('latest'))?.timestamp ?? 0);
  const [pendingAdmin] = (await call('pendingDefaultAdmin')) as [string, bigint];
  const groupStatus: GroupStatus[] = [];
  for (const groupId of groups) {
    const [from, until, brp] = (await call('groupOf', groupKey(groupId))) as [bigint, bigint, string];
    groupStatus.push({
      groupId,
      registered: until !== 0n,
      fromPeriod: until === 0n ? '' : isoOf(from),
      untilPeriod: until === 0n || until === NEVER ? null : isoOf(until),
      brp: brp === ZERO ? null : brp,
    });
  }
  const roles = [];
  for (const check of checks) {
    const scope = check.scope ?? check.groupId ?? null;
    roles.push({ role: check.role, scope, account: check.account, holds: Boolean(await call('hasGroupRole', ROLES[check.role], grantScopeKey(check), check.account)) });
  }
  return {
    cascadeAddress,
    chainId: Number((await provider.getNetwork()).chainId),
    admin: String(await call('defaultAdmin')),
    pendingAdmin: pendingAdmin === ZERO ? null : pendingAdmin,
    adminDelaySeconds: Number(await call('defaultAdminDelay')),
    correctionWindowSeconds: Number(await call('correctionWindow')),
    groupsRequiredNow: Number(await call('requiredGroups', now - (now % 900n))),
    groups: groupStatus,
    roles,
  };
}

function seconds(ms: number): number {
  if (!Number.isInteger(ms) || ms < 0 || ms % 1000 !== 0) throw new RangeError(`${ms} ms is not a whole number of seconds`);
  return ms / 1000;
}

function isoOf(unixSeconds: bigint): string {
  return new Date(Number(unixSeconds) * 1000).toISOString().replace('.000Z', 'Z');
}
