import { id } from 'ethers';

/** On chain a balancing group is keccak256 of its UTF-8 id: any length fits in bytes32. */
export function groupKey(groupId: string): string {
  return id(groupId);
}

/** Role names as the registry hashes them. */
export const ROLES = {
  MPO: id('MPO'),
  DSO: id('DSO'),
  BRP: id('BRP'),
  TSO: id('TSO'),
} as const;
export type RoleName = keyof typeof ROLES;

/** The market-wide scope of a role (the TSO's). */
export const MARKET_SCOPE = `0x${'00'.repeat(32)}`;

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
