import { Wallet, id } from 'ethers';
import { MARKET, MARKET_SCOPE, ROLE_IDS, RoleSet, groupKey, gridAreaKey, plantKey, requireAnyRole, scopeKey } from '@gridledger/auth';
import { DomainError } from '@gridledger/domain';

describe('roles and scopes', () => {
  it('forms scope keys per kind, a grid area or plant never colliding with a group of the same name', () => {
    expect(scopeKey('MARKET_OPERATOR', MARKET)).toBe(MARKET_SCOPE);
    expect(scopeKey('BRP', 'BG-01')).toBe(id('BG-01'));
    expect(scopeKey('DSO', 'BG-01')).toBe(gridAreaKey('BG-01'));
    expect(new Set([groupKey('X'), gridAreaKey('X'), plantKey('X')]).size).toBe(3);
    expect(() => scopeKey('TSO', 'BG-01')).toThrow(RangeError);
    expect(() => scopeKey('MPO', MARKET)).toThrow(RangeError);
  });

  it('follows grants and revocations, and the policy names what is missing', () => {
    const account = Wallet.createRandom().address;
    const roles = new RoleSet();
    roles.apply({ granted: true, roleId: ROLE_IDS.DSO, scopeKey: gridAreaKey('GA-1'), account: account.toLowerCase() });
    expect(roles.has('DSO', 'GA-1', account)).toBe(true);
    expect(roles.has('DSO', 'GA-2', account)).toBe(false);
    expect(roles.has('MPO', 'GA-1', account)).toBe(false);
    expect(requireAnyRole(roles, account, [{ role: 'MARKET_OPERATOR', scope: MARKET }, { role: 'DSO', scope: 'GA-1' }], 'register meters')).toEqual({ role: 'DSO', scope: 'GA-1' });
    roles.apply({ granted: false, roleId: ROLE_IDS.DSO, scopeKey: gridAreaKey('GA-1'), account });
    let error: unknown;
    try {
      requireAnyRole(roles, account, [{ role: 'MARKET_OPERATOR', scope: MARKET }, { role: 'DSO', scope: 'GA-1' }], 'register meters');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).kind).toBe('forbidden');
    expect((error as DomainError).reason).toContain('MARKET_OPERATOR or DSO of grid-area GA-1');
  });
});
