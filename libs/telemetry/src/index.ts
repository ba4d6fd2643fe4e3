export * from './telemetry';
export * from './trace-context';
export * from './spans';
export * from './instrumentations';
export * from './metrics';
export * from './json-logger';
