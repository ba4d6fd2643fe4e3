export { startLocalStack, ensureDatabase, STANDARD_PORTS, STACK_DATABASE, STACK_NATS_PORT } from './local-stack';
export type { LocalStack, LocalStackOptions } from './local-stack';
export type { StackComponent, StackLog } from './stack-component';
export { stackEnvironment } from './stack-env';
export { probeNats, probePostgres, probeEvm } from './probes';
export { findFreePort, isPortFree } from './ports';
