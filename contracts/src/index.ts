export * from './artifact';
export * from './artifacts';
export * from './ids';
export * from './deploy';
export * from './role-chain';
