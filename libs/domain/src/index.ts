export * from './energy';
export * from './period';
export * from './money';
export * from './meter';
export * from './merkle';
