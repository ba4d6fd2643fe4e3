export const KECCAK = Symbol('balancing.keccak');
export const MERKLE_ROOTS = Symbol('balancing.merkleRoots');
export const LEAF_SALT_KEY = Symbol('balancing.leafSaltKey');
