import { isBalancingGroupId, isDirection, meterPointIdProblem, parsePeriodId } from '@gridledger/domain';
import { BatchFormatError, checksumAddress, isPlainObject } from '../intake/reading-batch';
import { registryError, type ChangeMeterPoint, type MeterPointVersionState, type RegisterMeterPoint, type RetireMeterPoint } from './registry.types';

/**
 * Turns registry request JSON into commands, naming the field at fault. Addresses are
 * checked with their EIP-55 checksum and stored checksummed.
 */
const MAX_LIMIT_W = 10n ** 12n;
const LIMIT_TEXT = /^[1-9][0-9]{0,12}$/;
const SUPPLIER_TEXT = /^[\x20-\x7e]{1,128}$/;

function fail(meterId: string | null, field: string, reason: string): never {
  throw registryError('MALFORMED_COMMAND', meterId, field, reason);
}

function address(value: unknown, meterId: string | null, field: string): string {
  try {
    return checksumAddress(value, field);
  } catch (error) {
    if (error instanceof BatchFormatError) fail(meterId, field, error.reason);
    throw error;
  }
}

function boundary(value: unknown, meterId: string | null, field: string): number {
  if (typeof value !== 'string') fail(meterId, field, 'must be a period start like 2026-03-29T00:00:00Z');
  try {
    return parsePeriodId(value, 'PT15M');
  } catch {
    throw registryError('NOT_AT_PERIOD_BOUNDARY', meterId, field, 'must be a UTC quarter-hour boundary like 2026-03-29T00:00:00Z');
  }
}

function limit(value: unknown, meterId: string | null, field: string): bigint {
  if (typeof value !== 'string' || !LIMIT_TEXT.test(value) || BigInt(value) > MAX_LIMIT_W) {
    fail(meterId, field, 'must be a positive integer number of W as a decimal string, at most 10^12');
  }
  return BigInt(value);
}

function supplier(value: unknown, meterId: string | null, field: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !SUPPLIER_TEXT.test(value)) fail(meterId, field, 'must be null or 1 to 128 printable ASCII characters');
  return value;
}

function group(value: unknown, meterId: string | null, field: string): string {
  if (!isBalancingGroupId(value)) fail(meterId, field, 'must be a balancing group id (letters, digits, _ and -, at most 64)');
  return value;
}

function gridArea(value: unknown, meterId: string | null, field: string): string {
  // Same alphabet as group ids; a grid area's key on chain is keccak256("grid-area:" + id).
  if (!isBalancingGroupId(value)) fail(meterId, field, 'must be a grid area id (letters, digits, _ and -, at most 64)');
  return value;
}

function onlyKeys(body: Record<string, unknown>, allowed: readonly string[], meterId: string | null, path: string): void {
  for (const key of Object.keys(body)) if (!allowed.includes(key)) fail(meterId, `${path}${key}`, 'unknown field');
}

export function parseMeterId(value: unknown, field = 'meterId'): string {
  const problem = meterPointIdProblem(value);
  if (problem !== null) fail(null, field, `meterId ${problem}`);
  return value as string;
}

const REGISTER_KEYS = ['meterId', 'direction', 'mpo', 'dso', 'gridArea', 'groupId', 'supplier', 'connectionLimitW', 'validFrom'];

export function parseRegisterCommand(entry: unknown, path: string): RegisterMeterPoint {
  if (!isPlainObject(entry)) fail(null, path, 'must be an object');
  const meterId = parseMeterId(entry.meterId, `${path}.meterId`);
  onlyKeys(entry, REGISTER_KEYS, meterId, `${path}.`);
  if (!isDirection(entry.direction)) fail(meterId, `${path}.direction`, 'must be consumption or production');
  return {
    type: 'RegisterMeterPoint',
    meterId,
    direction: entry.direction,
    mpo: address(entry.mpo, meterId, `${path}.mpo`),
    dso: address(entry.dso, meterId, `${path}.dso`),
    gridArea: gridArea(entry.gridArea, meterId, `${path}.gridArea`),
    groupId: group(entry.groupId, meterId, `${path}.groupId`),
    supplier: supplier(entry.supplier ?? null, meterId, `${path}.supplier`),
    connectionLimitW: limit(entry.connectionLimitW, meterId, `${path}.connectionLimitW`),
    validFromMs: boundary(entry.validFrom, meterId, `${path}.validFrom`),
  };
}

export function parseChangeCommand(meterId: string, body: unknown): ChangeMeterPoint {
  if (!isPlainObject(body)) fail(meterId, '(body)', 'must be a JSON object');
  onlyKeys(body, ['effectiveFrom', 'groupId', 'supplier', 'connectionLimitW', 'dso', 'correction'], meterId, '');
  if (body.correction !== undefined && typeof body.correction !== 'boolean') fail(meterId, 'correction', 'must be true or false');
  return {
    type: 'ChangeMeterPoint',
    meterId,
    effectiveFromMs: boundary(body.effectiveFrom, meterId, 'effectiveFrom'),
    ...(body.groupId !== undefined ? { groupId: group(body.groupId, meterId, 'groupId') } : {}),
    ...(body.supplier !== undefined ? { supplier: supplier(body.supplier, meterId, 'supplier') } : {}),
    ...(body.connectionLimitW !== undefined ? { connectionLimitW: limit(body.connectionLimitW, meterId, 'connectionLimitW') } : {}),
    ...(body.dso !== undefined ? { dso: address(body.dso, meterId, 'dso') } : {}),
    ...(body.correction === true ? { correction: true } : {}),
  };
}

export function parseRetireCommand(meterId: string, body: unknown): RetireMeterPoint {
  if (!isPlainObject(body)) fail(meterId, '(body)', 'must be a JSON object');
  onlyKeys(body, ['effectiveAt'], meterId, '');
  return { type: 'RetireMeterPoint', meterId, effectiveAtMs: boundary(body.effectiveAt, meterId, 'effectiveAt') };
}

/** A version as JSON (the wire events' shape: no grid area): bigint as decimal string, instants as ISO. */
export interface MeterPointVersionJson {
  meterId: string;
  direction: 'consumption' | 'production';
  mpo: string;
  dso: string;
  groupId: string;
  supplier: string | null;
  connectionLimitW: string;
  validFrom: string;
  validTo: string | null;
}

export function versionToJson(version: MeterPointVersionState): MeterPointVersionJson {
  return {
    meterId: version.meterId,
    direction: version.direction,
    mpo: version.mpo,
    dso: version.dso,
    groupId: version.groupId,
    supplier: version.supplier,
    connectionLimitW: version.connectionLimitW.toString(),
    validFrom: new Date(version.validFromMs).toISOString(),
    validTo: version.validToMs === null ? null : new Date(version.validToMs).toISOString(),
  };
}

/** A version as stored in the registry's events and answered by its API: with the grid area. */
export type StoredMeterPointVersionJson = MeterPointVersionJson & { gridArea: string };

export function versionToStoredJson(version: MeterPointVersionState): StoredMeterPointVersionJson {
  return { ...versionToJson(version), gridArea: version.gridArea };
}

/** Versions stored before grid areas existed read back with gridArea "" (only the market operator manages them). */
export function versionFromJson(json: MeterPointVersionJson & { gridArea?: string }): MeterPointVersionState {
  return {
    meterId: json.meterId,
    direction: json.direction,
    mpo: json.mpo,
    dso: json.dso,
    gridArea: json.gridArea ?? '',
    groupId: json.groupId,
    supplier: json.supplier,
    connectionLimitW: BigInt(json.connectionLimitW),
    validFromMs: Date.parse(json.validFrom),
    validToMs: json.validTo === null ? null : Date.parse(json.validTo),
  };
}

