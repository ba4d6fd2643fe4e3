import { DomainError } from '@gridledger/domain';
import { ROLE_SCOPE, type Role } from './roles';

/** Who holds which role for which scope (the RoleDirectory mirror, or a fixed set in tests). */
export interface RoleView {
  /** `scope`: the group, grid area or plant id by the role's scope kind; MARKET for market roles. */
  has(role: Role, scope: string, address: string): boolean;
}

/** One way to be allowed: `role` for `scope`. */
export interface Requirement {
  readonly role: Role;
  readonly scope: string;
}

/** The first requirement `address` meets, or null. */
export function firstHeld(view: RoleView, address: string, requirements: readonly Requirement[]): Requirement | null {
  for (const requirement of requirements) if (view.has(requirement.role, requirement.scope, address)) return requirement;
  return null;
}

/** `address` must meet one of `requirements` to do `action`; else 403 MISSING_ROLE naming them. */
export function requireAnyRole(view: RoleView, address: string, requirements: readonly Requirement[], action: string, field = 'x-gl-signer'): Requirement {
  const held = firstHeld(view, address, requirements);
  if (held) return held;
  throw new DomainError('forbidden', 'MISSING_ROLE', field, `${address} may not ${action}: it needs ${describeRequirements(requirements)}`);
}

export function describeRequirements(requirements: readonly Requirement[]): string {
  return requirements.map(({ role, scope }) => (ROLE_SCOPE[role] === 'market' ? role : `${role} of ${ROLE_SCOPE[role]} ${scope}`)).join(' or ');
}
