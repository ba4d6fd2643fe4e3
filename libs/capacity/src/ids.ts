import { isBalancingGroupId, meterPointIdProblem } from '@gridledger/domain';
import { invalidField } from './capacity.errors';

export type PlantId = string;
export type HolderId = string;
export type PlantKind = 'pv' | 'wind' | 'hydro';
export const PLANT_KINDS: readonly PlantKind[] = ['pv', 'wind', 'hydro'];

/** Plant and holder ids end up in ledger account names and logs: short and plain. */
const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** Watts of capacity are bounded so pro-rata products stay far inside bigint comfort. */
export const MAX_CAPACITY_W = 10n ** 12n;

export function requireEntityId(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ENTITY_ID.test(value)) {
    throw invalidField(field, 'must be 1-64 letters, digits or . _ : - starting with a letter or digit');
  }
  return value;
}

export function requireMeterId(field: string, value: unknown): string {
  const problem = meterPointIdProblem(value);
  if (problem !== null) throw invalidField(field, problem);
  return value as string;
}

export function requireGroupId(field: string, value: unknown): string {
  if (!isBalancingGroupId(value)) throw invalidField(field, 'must be a balancing group id');
  return value;
}

export function requireAddress(field: string, value: unknown): string {
  if (typeof value !== 'string' || !ADDRESS.test(value)) throw invalidField(field, 'must be a 20-byte hex address');
  return value;
}

export function requirePlantKind(field: string, value: unknown): PlantKind {
  if (!PLANT_KINDS.includes(value as PlantKind)) throw invalidField(field, `must be one of ${PLANT_KINDS.join(', ')}`);
  return value as PlantKind;
}

/** A positive (or, with allowZero, non-negative) integer number of W. */
export function requireWatts(field: string, value: unknown, allowZero = false): bigint {
  if (typeof value !== 'bigint') throw invalidField(field, 'must be an integer number of W');
  if (value < 0n || (!allowZero && value === 0n)) throw invalidField(field, allowZero ? 'must not be negative' : 'must be positive');
  if (value > MAX_CAPACITY_W) throw invalidField(field, `must be at most ${MAX_CAPACITY_W} W`);
  return value;
}

/** Parses a decimal string of integer W or cents from the wire. */
export function parseNonNegativeInteger(field: string, value: unknown): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,24})$/.test(value)) {
    throw invalidField(field, 'must be a non-negative integer as a decimal string');
  }
  return BigInt(value);
}
