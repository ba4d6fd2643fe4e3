export * from './consumer-options';
export * from './consumer-setup';
export * from './error-classification';
export * from './delivery';
export * from './inbox';
export * from './dead-letter';
export * from './consumer-runner';
