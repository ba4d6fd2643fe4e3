export * from './empty-root';
export * from './keccak';
export * from './leaf-salt';
export * from './meter-leaf';
export * from './standard-merkle-tree';
export { scratchBuffer } from './message-batch';
export { keccakWat } from './keccak-wat';
