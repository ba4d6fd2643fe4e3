export * from './energy';
export * from './period';
export * from './money';
export * from './meter';
export * from './merkle';
export * from './decider';
export * from './domain-error';
export * from './clock';
