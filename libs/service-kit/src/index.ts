export * from './config';
export * from './tokens';
export * from './health.controller';
export * from './metrics.controller';
export * from './backbone.module';
export * from './bootstrap';
export * from './polling-loop';
export * from './clock';
