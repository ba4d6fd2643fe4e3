/**
 * Where "now" comes from. Domain code never reads a clock: it receives instants in commands.
 * Adapters (workers, controllers) get a Clock injected under service-kit's `CLOCK` token;
 * the implementations live in service-kit (system, offset) and libs/testing (manual).
 */
export interface Clock {
  now(): Date;
  nowMs(): number;
}
