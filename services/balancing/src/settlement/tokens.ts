export const KECCAK = Symbol('balancing.keccak');
export const CLOCK = Symbol('balancing.clock');
