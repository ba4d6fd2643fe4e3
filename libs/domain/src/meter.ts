/**
 * Meter points: a stable id chosen by the MPO (MaLo/MeLo id, EAN, or any string) and a
 * direction. Production feeds in, consumption feeds out.
 */
export type MeterPointId = string;
export type Direction = 'consumption' | 'production';
export const DIRECTIONS: readonly Direction[] = ['consumption', 'production'];

const METER_POINT_ID = /^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$/;

export function isMeterPointId(value: unknown): value is MeterPointId {
  return typeof value === 'string' && METER_POINT_ID.test(value);
}

/** Why an id is refused, or null when it is fine. */
export function meterPointIdProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > 64) return 'must be at most 64 characters';
  if (!METER_POINT_ID.test(value)) return 'may hold only letters, digits and . _ : - and must start with a letter or digit';
  return null;
}

export function isDirection(value: unknown): value is Direction {
  return value === 'consumption' || value === 'production';
}

/** +1 for feed-in (production), -1 for feed-out (consumption): the sign in a group's net. */
export function directionSign(direction: Direction): 1n | -1n {
  return direction === 'production' ? 1n : -1n;
}

/** Balancing group ids end up in NATS subjects, so they are subject-token safe. */
const GROUP_ID = /^[A-Za-z0-9][A-Za-z0-9_\-]{0,63}$/;
export type BalancingGroupId = string;

export function isBalancingGroupId(value: unknown): value is BalancingGroupId {
  return typeof value === 'string' && GROUP_ID.test(value);
}
