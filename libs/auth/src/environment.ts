import { getAddress, type TypedDataDomain } from 'ethers';

/**
 * Which deployment a signature is for: the chain and the RoleRegistry contract. Both are in
 * every signed request's EIP-712 domain and every session, so a request signed for staging
 * is refused in production (another registry address or chain id).
 */
export interface AuthEnvironment {
  readonly chainId: bigint;
  readonly verifyingContract: string;
}

export const AUTH_DOMAIN_NAME = 'gridledger';
export const AUTH_DOMAIN_VERSION = '2';

export function authEnvironment(chainId: bigint | number | string, verifyingContract: string): AuthEnvironment {
  return { chainId: BigInt(chainId), verifyingContract: getAddress(verifyingContract) };
}

/** The EIP-712 domain of every signed request. */
export function authDomain(environment: AuthEnvironment): TypedDataDomain {
  return { name: AUTH_DOMAIN_NAME, version: AUTH_DOMAIN_VERSION, chainId: environment.chainId, verifyingContract: environment.verifyingContract };
}
