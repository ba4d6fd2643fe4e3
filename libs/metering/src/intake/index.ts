export * from './canonical-json';
export * from './reading-batch';
