export * from './empty-root';
export * from './keccak';
export * from './meter-leaf';
export * from './standard-merkle-tree';
