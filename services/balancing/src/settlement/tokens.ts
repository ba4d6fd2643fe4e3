export const KECCAK = Symbol('balancing.keccak');
export const CLOCK = Symbol('balancing.clock');
export const MERKLE_ROOTS = Symbol('balancing.merkleRoots');
