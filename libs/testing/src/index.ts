export * from './database';
export * from './nats';
export * from './wait-for';
export * from './spawn-service';
export * from './trace-collector';
export * from './anvil';
export * from './fixtures';
