export * from './compile';
export * from './artifacts';
export * from './ids';
export * from './merkle';
export * from './deploy';
