export const KECCAK = Symbol('balancing.keccak');
export const MERKLE_ROOTS = Symbol('balancing.merkleRoots');
