import { getAddress } from 'ethers';
import type { RoleView } from './policy';
import { ROLE_IDS, scopeKey, type Role } from './roles';

/** A role change as the registry's events report it (ids as bytes32 hex). */
export interface RoleChange {
  readonly granted: boolean;
  readonly roleId: string;
  readonly scopeKey: string;
  readonly account: string;
}

/**
 * The roles held, built from the registry's GroupRoleGranted / GroupRoleRevoked events in
 * chain order: the state the RoleDirectory mirror keeps. Unknown role ids are kept too (a
 * newer contract's roles), they are just never asked for.
 */
export class RoleSet implements RoleView {
  private readonly held = new Set<string>();

  apply(change: RoleChange): void {
    const key = entry(change.roleId, change.scopeKey, change.account);
    if (change.granted) this.held.add(key);
    else this.held.delete(key);
  }

  /**
   * Entries of the questions asked lately: a key costs two keccak hashes (the scope key and
   * the address checksum), and intake asks the same few (role, group, MPO) for every batch.
   */
  private readonly asked = new Map<string, string | null>();

  has(role: Role, scope: string, address: string): boolean {
    const question = `${role}|${scope}|${address}`;
    let key = this.asked.get(question);
    if (key === undefined) {
      try {
        key = entry(ROLE_IDS[role], scopeKey(role, scope), address);
      } catch {
        key = null;
      }
      if (this.asked.size >= 10_000) this.asked.clear();
      this.asked.set(question, key);
    }
    return key !== null && this.held.has(key);
  }

  get size(): number {
    return this.held.size;
  }
}

function entry(roleId: string, scope: string, account: string): string {
  return `${roleId.toLowerCase()}|${scope.toLowerCase()}|${getAddress(account)}`;
}
