export * from './canonical-json';
export * from './reading-batch';
export * from './interval-batch-scanner';
