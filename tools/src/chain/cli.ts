/**
 * npm run chain -- deploy|grant|revoke|status [options]: the cascade on any EVM endpoint.
 * Prints what it did and, last, one line of JSON; `deploy` also prints the line to put in a
 * k8s overlay's chain-bridge ConfigMap (CHAIN_CASCADE_ADDRESS=...).
 */
import { Interface, JsonRpcProvider, isCallException } from 'ethers';
import { ROLES, ROLE_SCOPE, RoleGrant, RoleName, SettlementCascadeArtifact, periodStartSeconds } from '@gridledger/contracts';
import { DeployRequest, changeRole, deploy, status } from './chain-commands';
import { ensureDeployment } from './ensure-deployment';

export const USAGE = `usage: npm run chain -- <command> [options]
  deploy  --groups A,B [--grant ROLE:SCOPE:ACCOUNT]... [--grant TSO:ACCOUNT] [--admin ADDRESS]
          [--opening 2026-03-29T00:00:00Z] [--correction-window-ms N] [--admin-delay-ms N]
  grant   --role ROLE [--scope SCOPE] --account ADDRESS
  revoke  --role ROLE [--scope SCOPE] --account ADDRESS
  status  [--groups A,B] [--check ROLE:SCOPE:ACCOUNT]...
  ensure  --expect ADDRESS (deploy's options) [--verify-only true] [--wait-ms N]
          waits for the node; deploys unless a contract is at ADDRESS (or only waits for it
          with --verify-only); then checks the address and that every group and grant holds
roles:    MARKET_OPERATOR, TSO (market-wide: no scope); DSO (scope: grid area id);
          MPO, BRP, SUPPLIER (scope: balancing group id); PLANT_OPERATOR (scope: plant id).
          --group is accepted as another name of --scope.
common:   --rpc URL (or CHAIN_RPC_URL; default http://127.0.0.1:8545)
          --cascade ADDRESS (or CHAIN_CASCADE_ADDRESS; grant, revoke, status)
keys:     CHAIN_ADMIN_KEY (deploy: the deploying key; grant, revoke: the administrator's key)`;

export class UsageError extends Error {}

/** What to do: a deployment's options (`grants` are the role checks for `status`), and where. */
export type ChainCommand = DeployRequest & {
  readonly command: 'deploy' | 'grant' | 'revoke' | 'status' | 'ensure';
  readonly rpcUrl: string;
  readonly cascade?: string;
  readonly role?: RoleGrant;
  readonly expect?: string;
  readonly verifyOnly?: boolean;
  readonly waitMs?: number;
};

export function parseChainCommand(argv: readonly string[], env: NodeJS.ProcessEnv): ChainCommand {
  const [command, ...rest] = argv;
  if (command !== 'deploy' && command !== 'grant' && command !== 'revoke' && command !== 'status' && command !== 'ensure') throw new UsageError(`unknown command ${command ?? '(none)'}`);
  const flags = new Map<string, string[]>();
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (!flag.startsWith('--') || value === undefined) throw new UsageError(`${flag} needs a value`);
    flags.set(flag, [...(flags.get(flag) ?? []), value]);
  }
  const one = (flag: string): string | undefined => flags.get(flag)?.at(-1);
  const integer = (flag: string): number | undefined => {
    const value = one(flag);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number of milliseconds`);
    return Number(value);
  };
  const specs = (flag: string) => (flags.get(flag) ?? []).map(parseGrant);
  const parsed: ChainCommand = {
    command,
    rpcUrl: one('--rpc') ?? env.CHAIN_RPC_URL ?? 'http://127.0.0.1:8545',
    cascade: one('--cascade') ?? env.CHAIN_CASCADE_ADDRESS,
    groups: (one('--groups') ?? '').split(',').filter((g) => g !== ''),
    grants: command === 'status' ? specs('--check') : specs('--grant'),
    admin: one('--admin'),
    openingPeriod: one('--opening') === undefined ? undefined : periodStartSeconds(one('--opening') as string),
    correctionWindowMs: integer('--correction-window-ms'),
    adminDelayMs: integer('--admin-delay-ms'),
    role: command === 'grant' || command === 'revoke' ? roleOf(one('--role'), one('--scope') ?? one('--group'), one('--account')) : undefined,
    expect: one('--expect'),
    verifyOnly: one('--verify-only') === 'true',
    waitMs: integer('--wait-ms'),
  };
  if (command === 'ensure') {
    if (!parsed.expect || !/^0x[0-9a-fA-F]{40}$/.test(parsed.expect)) throw new UsageError('ensure needs --expect with the 0x address the overlay carries');
    return parsed;
  }
  if (command !== 'deploy' && !parsed.cascade) throw new UsageError(`${command} needs --cascade or CHAIN_CASCADE_ADDRESS`);
  return parsed;
}

function parseGrant(spec: string): RoleGrant {
  const parts = spec.split(':');
  if (parts.length === 2) return roleOf(parts[0], undefined, parts[1]);
  if (parts.length === 3) return roleOf(parts[0], parts[1], parts[2]);
  throw new UsageError(`"${spec}" must read ROLE:SCOPE:ACCOUNT (or TSO:ACCOUNT, MARKET_OPERATOR:ACCOUNT)`);
}

function roleOf(role: string | undefined, scope: string | undefined, account: string | undefined): RoleGrant {
  if (role === undefined || !(role in ROLES)) throw new UsageError(`role must be one of ${Object.keys(ROLES).join(', ')}`);
  if (account === undefined || !/^0x[0-9a-fA-F]{40}$/.test(account)) throw new UsageError('account must be a 0x address');
  const kind = ROLE_SCOPE[role as RoleName];
  if ((kind === 'market') !== (scope === undefined)) throw new UsageError(`${role} is ${kind === 'market' ? 'market-wide (no scope)' : `held per ${kind}: name it with --scope`}`);
  return { role: role as RoleName, scope, account };
}

function adminKey(env: NodeJS.ProcessEnv): string {
  const key = env.CHAIN_ADMIN_KEY;
  if (!key || !/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new UsageError('CHAIN_ADMIN_KEY must hold the private key (64 hex digits)');
  return key;
}

export async function runChainCommand(command: ChainCommand, env: NodeJS.ProcessEnv, print: (line: string) => void): Promise<unknown> {
  const provider = new JsonRpcProvider(command.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    switch (command.command) {
      case 'deploy': {
        const deployed = await deploy(provider, adminKey(env), command);
        print(`deployed SettlementCascade (its own RoleRegistry) on chain ${deployed.chainId} at ${deployed.cascadeAddress}, block ${deployed.blockNumber}, administrator ${deployed.admin}`);
        print(`groups: ${command.groups.join(', ') || '(none)'}; grants: ${command.grants.map(describe).join(', ') || '(none)'}`);
        print(`for the k8s overlay (ConfigMap chain-bridge): CHAIN_CASCADE_ADDRESS=${deployed.cascadeAddress}`);
        return deployed;
      }
      case 'ensure': {
        const ensured = await ensureDeployment(provider, env.CHAIN_ADMIN_KEY, {
          ...command,
          expect: command.expect as string,
          verifyOnly: command.verifyOnly === true,
          waitMs: command.waitMs ?? 300_000,
        });
        print(`${ensured.deployedNow ? 'deployed' : 'found'} SettlementCascade (its own RoleRegistry) at ${ensured.cascadeAddress}, as expected, with every group and grant`);
        return ensured;
      }
      case 'grant':
      case 'revoke': {
        const role = command.role as RoleGrant;
        const result = await changeRole(provider, adminKey(env), command.cascade as string, command.command, role);
        print(`${command.command} ${describe(role)}: ${result.changed ? 'done' : 'nothing to change'} (tx ${result.txHash})`);
        return { ...result, ...role };
      }
      case 'status': {
        const state = await status(provider, command.cascade as string, command.groups, command.grants);
        print(`cascade ${state.cascadeAddress} on chain ${state.chainId}: administrator ${state.admin}${state.pendingAdmin ? ` (transfer to ${state.pendingAdmin} pending)` : ''}, admin delay ${state.adminDelaySeconds} s, correction window ${state.correctionWindowSeconds} s, ${state.groupsRequiredNow} groups needed now`);
        for (const group of state.groups) {
          print(`  ${group.groupId}: ${group.registered ? `from ${group.fromPeriod}${group.untilPeriod ? ` until ${group.untilPeriod}` : ''}, BRP ${group.brp ?? '(none)'}` : 'not registered'}`);
        }
        for (const role of state.roles) print(`  ${describe(role)}: ${role.holds ? 'holds' : 'does not hold'}`);
        return state;
      }
    }
  } finally {
    provider.destroy();
  }
}

function describe(grant: { role: string; scope?: string | null; groupId?: string | null; account: string }): string {
  const scope = grant.scope ?? grant.groupId;
  return `${grant.role}${scope ? ` of ${scope}` : ''} → ${grant.account}`;
}

/** The contract's custom error, named with its arguments, when the node refused the transaction. */
export function refusalOf(error: unknown): string | null {
  if (!isCallException(error) || !error.data) return null;
  const parsed = new Interface(SettlementCascadeArtifact.abi as unknown as string[]).parseError(error.data);
  return parsed ? `the contract refused it (execution reverted): ${parsed.name}(${parsed.args.map(String).join(', ')})` : null;
}

async function main(): Promise<void> {
  try {
    const command = parseChainCommand(process.argv.slice(2), process.env);
    const result = await runChainCommand(command, process.env, (line) => console.log(line));
    console.log(JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n${USAGE}`);
      process.exit(2);
    }
    console.error(refusalOf(error) ?? (error instanceof Error ? error.message : error));
    process.exit(1);
  }
}

if (require.main === module) void main();
