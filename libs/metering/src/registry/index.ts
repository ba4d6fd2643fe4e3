export * from './registry.codec';
export * from './registry.commands';
export * from './registry.decider';
export * from './registry.types';
export * from './registry.settled';
