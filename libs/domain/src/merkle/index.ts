export * from './empty-root';
export * from './keccak';
export * from './leaf-salt';
export * from './meter-leaf';
export * from './standard-merkle-tree';
export { keccakWat } from './keccak-wat';
