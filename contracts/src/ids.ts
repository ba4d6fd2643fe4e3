import { ROLE_IDS, type Role } from '@gridledger/auth';

/**
 * Role ids and scope keys are defined once, in @gridledger/auth (libs/auth/src/roles.ts): a
 * balancing group is keccak256 of its UTF-8 id, a grid area keccak256("grid-area:" + id), a
 * plant keccak256("plant:" + id), the market scope zero.
 */
export { MARKET, MARKET_SCOPE, ROLE_SCOPE, groupKey, gridAreaKey, plantKey, scopeKey } from '@gridledger/auth';

/** Role names as the registry hashes them. */
export const ROLES = ROLE_IDS;
export type RoleName = Role;

const PERIOD_ID = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/;

/** A period id (its UTC start, "2026-03-29T01:00:00Z") as unix seconds, the chain's period key. */
export function periodStartSeconds(periodId: string): bigint {
  if (!PERIOD_ID.test(periodId)) throw new RangeError(`periodId "${periodId}" must be a UTC start like 2026-03-29T01:00:00Z`);
  const millis = Date.parse(periodId);
  if (Number.isNaN(millis)) throw new RangeError(`periodId "${periodId}" is not a valid instant`);
  return BigInt(millis) / 1000n;
}

/** Unix seconds back to the period id. */
export function periodIdOf(periodStart: bigint): string {
  return new Date(Number(periodStart) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Leaf direction code: 0 consumption (feed-out), 1 production (feed-in). */
export function directionCode(direction: 'consumption' | 'production'): 0 | 1 {
  return direction === 'production' ? 1 : 0;
}
