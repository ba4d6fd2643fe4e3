import { id } from 'ethers';

/**
 * The market roles and what each is scoped to (docs/trust.md). The RoleRegistry contract holds
 * them as AccessControl roles keccak256(abi.encode(roleId, scopeKey)); this file is the one
 * place that says how a role name and a domain id (group, grid area, plant) become those
 * bytes32 values. contracts/src/ids.ts re-exports it.
 */
export const ROLE_NAMES = ['MARKET_OPERATOR', 'TSO', 'DSO', 'MPO', 'BRP', 'SUPPLIER', 'PLANT_OPERATOR'] as const;
export type Role = (typeof ROLE_NAMES)[number];

export type ScopeKind = 'market' | 'grid-area' | 'group' | 'plant';

/** What each role's scope id names. */
export const ROLE_SCOPE: Readonly<Record<Role, ScopeKind>> = {
  MARKET_OPERATOR: 'market',
  TSO: 'market',
  DSO: 'grid-area',
  MPO: 'group',
  BRP: 'group',
  SUPPLIER: 'group',
  PLANT_OPERATOR: 'plant',
};

/** Role names as the registry hashes them: keccak256 of the UTF-8 name. */
export const ROLE_IDS: Readonly<Record<Role, string>> = Object.fromEntries(ROLE_NAMES.map((role) => [role, id(role)])) as Record<Role, string>;

const ROLE_BY_ID = new Map<string, Role>(ROLE_NAMES.map((role) => [ROLE_IDS[role], role]));

/** The role name of a registry role id, or undefined for one this code does not know. */
export function roleOfId(roleId: string): Role | undefined {
  return ROLE_BY_ID.get(roleId.toLowerCase());
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLE_NAMES as readonly string[]).includes(value);
}

/** The scope id market-wide roles are held for (the registry's scope key zero). */
export const MARKET = 'market';

/** The registry's scope key of market-wide roles. */
export const MARKET_SCOPE = `0x${'00'.repeat(32)}`;

/**
 * A balancing group on chain: keccak256 of its UTF-8 id, unprefixed (the cascade commits under
 * this key, so it stays as it always was).
 */
export function groupKey(groupId: string): string {
  return id(groupId);
}

/** A grid area on chain: keccak256("grid-area:" + id), so it never equals a group's key. */
export function gridAreaKey(gridAreaId: string): string {
  return id(`grid-area:${gridAreaId}`);
}

/** A plant on chain: keccak256("plant:" + id). */
export function plantKey(plantId: string): string {
  return id(`plant:${plantId}`);
}

/**
 * The registry's scope key for `role` held for `scopeId` (a group, grid area or plant id, by
 * the role's scope kind; MARKET for market-wide roles).
 */
export function scopeKey(role: Role, scopeId: string): string {
  switch (ROLE_SCOPE[role]) {
    case 'market':
      if (scopeId !== MARKET) throw new RangeError(`${role} is market-wide: its scope is "${MARKET}", not "${scopeId}"`);
      return MARKET_SCOPE;
    case 'grid-area':
      return gridAreaKey(requireId(role, scopeId));
    case 'group':
      return groupKey(requireId(role, scopeId));
    case 'plant':
      return plantKey(requireId(role, scopeId));
  }
}

function requireId(role: Role, scopeId: string): string {
  if (scopeId === '' || scopeId === MARKET) throw new RangeError(`${role} is held per ${ROLE_SCOPE[role]}: name one`);
  return scopeId;
}

/** One role held by one address for one scope, as the registry's events say. */
export interface RoleGrant {
  readonly role: Role;
  /** The domain id (group, grid area, plant), or MARKET. */
  readonly scope: string;
  readonly account: string;
}
