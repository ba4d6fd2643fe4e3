export * from './artifact';
export * from './artifacts';
export * from './ids';
export * from './deploy';
