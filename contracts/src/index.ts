export * from './compile';
export * from './artifacts';
export * from './ids';
export * from './deploy';
