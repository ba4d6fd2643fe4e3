/**
 * The event catalogue: every event in the system, one file per domain. Each domain's file
 * is owned by the service that publishes those events.
 */
export * from './meter.events';
export * from './balancing.events';
export * from './market.events';
export * from './capacity.events';
export * from './chain.events';
export * from './platform.events';
