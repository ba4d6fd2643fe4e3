import { JsonRpcProvider, Wallet, getAddress, getCreateAddress } from 'ethers';
import { DeployRequest, Deployed, changeRole, deploy, status } from './chain-commands';

/**
 * Idempotent deployment for a cluster Job (and the check its services wait on): the dev overlay
 * carries the cascade's address as a constant, because a fixed deployer key's first contract
 * always lands at CREATE(deployer, nonce 0). This waits for the node, deploys with the grants
 * when the deployer has sent nothing yet, and in every case verifies the contract sits at the
 * expected address with every grant held — or fails, naming what differs.
 */
export interface EnsureRequest extends DeployRequest {
  /** The address the overlay carries (CHAIN_CASCADE_ADDRESS). */
  readonly expect: string;
  /** Only wait for and verify the deployment (services' init containers); never deploy. */
  readonly verifyOnly: boolean;
  /** How long to wait for the node (and, verifying only, for the deployment). */
  readonly waitMs: number;
  readonly pollMs?: number;
}

export interface Ensured {
  readonly cascadeAddress: string;
  readonly deployedNow: boolean;
  readonly deployed?: Deployed;
  /** Grants a re-run added (after an interrupted one). */
  readonly granted?: readonly string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function ensureDeployment(provider: JsonRpcProvider, key: string | undefined, request: EnsureRequest): Promise<Ensured> {
  const expected = getAddress(request.expect);
  const deadline = Date.now() + request.waitMs;
  const pollMs = request.pollMs ?? 1000;
  let lastProblem = 'the node did not answer';
  for (;;) {
    try {
      const code = await provider.getCode(expected);
      if (code !== '0x') {
        // A Job cut short between the deployment and its last grant finishes the grants on a re-run.
        const granted = request.verifyOnly || !key ? [] : await grantMissing(provider, key, expected, request);
        await verifyGrants(provider, expected, request);
        return { cascadeAddress: expected, deployedNow: false, ...(granted.length > 0 ? { granted } : {}) };
      }
      if (!request.verifyOnly) return { cascadeAddress: expected, deployedNow: true, deployed: await deployAt(provider, key, request, expected) };
      lastProblem = `no contract at ${expected} yet`;
    } catch (error) {
      if (error instanceof DeploymentMismatch) throw error;
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() + pollMs > deadline) throw new Error(`gave up after ${request.waitMs} ms: ${lastProblem}`);
    await sleep(pollMs);
  }
}

export class DeploymentMismatch extends Error {}

async function deployAt(provider: JsonRpcProvider, key: string | undefined, request: EnsureRequest, expected: string): Promise<Deployed> {
  if (!key) throw new DeploymentMismatch('CHAIN_ADMIN_KEY must hold the deploying key');
  const deployer = new Wallet(key, provider);
  const nonce = await provider.getTransactionCount(deployer.address);
  const next = getCreateAddress({ from: deployer.address, nonce });
  if (next !== expected) {
    throw new DeploymentMismatch(`the deployer ${deployer.address} would deploy to ${next} (nonce ${nonce}), not the expected ${expected}: a fresh chain and the overlay's deployer key give the expected address`);
  }
  const deployed = await deploy(provider, key, request);
  if (getAddress(deployed.cascadeAddress) !== expected) throw new DeploymentMismatch(`deployed to ${deployed.cascadeAddress}, expected ${expected}`);
  await verifyGrants(provider, expected, request);
  return deployed;
}

async function grantMissing(provider: JsonRpcProvider, key: string, address: string, request: EnsureRequest): Promise<string[]> {
  const state = await status(provider, address, [], request.grants);
  const granted: string[] = [];
  for (const [i, role] of state.roles.entries()) {
    if (role.holds) continue;
    await changeRole(provider, key, address, 'grant', request.grants[i]);
    granted.push(`${role.role}${role.scope ? ` of ${role.scope}` : ''} → ${role.account}`);
  }
  return granted;
}

async function verifyGrants(provider: JsonRpcProvider, address: string, request: EnsureRequest): Promise<void> {
  const state = await status(provider, address, request.groups, request.grants);
  const missing = [...state.groups.filter((g) => !g.registered).map((g) => `group ${g.groupId}`), ...state.roles.filter((r) => !r.holds).map((r) => `${r.role}${r.scope ? ` of ${r.scope}` : ''} → ${r.account}`)];
  // A contract at the address without the grants is not ours (or a deployment cut short): say so.
  if (missing.length > 0) throw new Error(`the cascade at ${address} lacks: ${missing.join(', ')}`);
}
