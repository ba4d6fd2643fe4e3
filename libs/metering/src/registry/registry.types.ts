import { DomainError, type Direction, type DomainErrorKind } from '@gridledger/domain';

/** What a registration sets about a meter point, and from which instant on. */
export interface MeterPointTerms {
  readonly meterId: string;
  readonly direction: Direction;
  readonly mpo: string;
  readonly dso: string;
  /** The grid area the point is connected in: its DSO (role DSO for this area) manages it. */
  readonly gridArea: string;
  readonly groupId: string;
  readonly supplier: string | null;
  readonly connectionLimitW: bigint;
  readonly validFromMs: number;
}

/** One version of a meter point, valid from `validFromMs` (inclusive) to `validToMs` (exclusive). */
export interface MeterPointVersionState extends MeterPointTerms {
  readonly validToMs: number | null;
}

export type MeterPointState =
  | { readonly status: 'unregistered' }
  | { readonly status: 'active'; readonly versions: readonly MeterPointVersionState[] }
  | { readonly status: 'retired'; readonly versions: readonly MeterPointVersionState[]; readonly retiredAtMs: number };

// Commands, imperative. Instants are epoch ms at period boundaries.
export interface RegisterMeterPoint extends MeterPointTerms {
  readonly type: 'RegisterMeterPoint';
}

/** Moves a meter to another group or supplier, or sets a new limit, from a period boundary on. */
export interface ChangeMeterPoint {
  readonly type: 'ChangeMeterPoint';
  readonly meterId: string;
  readonly effectiveFromMs: number;
  readonly groupId?: string;
  readonly supplier?: string | null;
  readonly connectionLimitW?: bigint;
  readonly dso?: string;
  /**
   * The DSO marks the change as a correction of periods already settled (docs/trust.md): only
   * so may it reach back over values meter-ingest has accepted; they are re-booked to the new group.
   */
  readonly correction?: boolean;
}

export interface RetireMeterPoint {
  readonly type: 'RetireMeterPoint';
  readonly meterId: string;
  readonly effectiveAtMs: number;
}

export type RegistryCommand = RegisterMeterPoint | ChangeMeterPoint | RetireMeterPoint;

/** A registry command with who asks for it: what the meter point decider decides on. */
export type MeterPointCommand = RegistryCommand & { readonly requester: Requester };

// Events, past tense.
export interface MeterPointRegistered {
  readonly type: 'MeterPointRegistered';
  readonly version: MeterPointVersionState;
}
/** The previous version ends where this one starts. */
export interface MeterPointChanged {
  readonly type: 'MeterPointChanged';
  readonly version: MeterPointVersionState;
}
export interface MeterPointRetired {
  readonly type: 'MeterPointRetired';
  readonly meterId: string;
  readonly retiredAtMs: number;
}

export type RegistryEvent = MeterPointRegistered | MeterPointChanged | MeterPointRetired;

/**
 * Who asks, proven by a signed request: the signer's address, and whether its roles let it
 * manage meter points of a grid area (the area's DSO, or the market operator). The roles are
 * looked up by the caller (the RoleDirectory); the decider stays pure.
 */
export interface Requester {
  readonly address: string;
  mayManage(gridArea: string): boolean;
  /** Whether the signer holds DSO for the grid area (not merely the market operator); absent: it does not. */
  isDso?(gridArea: string): boolean;
}

/** Why a registry command was refused: the `code` of the DomainError, and the kind it maps to. */
const KIND = {
  MALFORMED_COMMAND: 'invalid',
  NOT_AT_PERIOD_BOUNDARY: 'invalid',
  NOTHING_CHANGED: 'invalid',
  NOT_PERMITTED: 'forbidden',
  UNKNOWN_METER: 'not-found',
  ALREADY_REGISTERED: 'conflict',
  METER_RETIRED: 'conflict',
  NOT_AFTER_CURRENT_VERSION: 'conflict',
  SETTLED_PERIODS: 'conflict',
  CORRECTION_NOT_PERMITTED: 'forbidden',
} as const satisfies Record<string, DomainErrorKind>;

export type RegistryErrorCode = keyof typeof KIND;

/** A refused registry command; the reason names the meter point when one is known. */
export function registryError(code: RegistryErrorCode, meterId: string | null, field: string, reason: string): DomainError {
  return new DomainError(KIND[code], code, field, meterId === null ? reason : `meter ${meterId}: ${reason}`);
}
