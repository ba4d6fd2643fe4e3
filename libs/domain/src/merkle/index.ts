export * from './keccak';
export * from './meter-leaf';
export * from './standard-merkle-tree';
