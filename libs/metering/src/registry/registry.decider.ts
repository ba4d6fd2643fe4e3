import { formatInstant, periodLengthMs, type Decider } from '@gridledger/domain';
import {
  registryError,
  type MeterPointCommand,
  type MeterPointState,
  type MeterPointVersionState,
  type RegisterMeterPoint,
  type RegistryEvent,
  type Requester,
} from './registry.types';

/**
 * The meter registry as a decider, one stream per meter point. Versions change only at
 * period boundaries so every period of a meter has exactly one group, supplier and limit.
 * Registering a meter exactly as it stands is a no-op (no event), so an MPO may resend a
 * registration batch safely.
 */
export const meterPointDecider: Decider<MeterPointCommand, RegistryEvent, MeterPointState> = {
  initialState: () => ({ status: 'unregistered' }),
  decide: decideMeterPoint,
  evolve: evolveMeterPoint,
};

const BOUNDARY_MS = periodLengthMs('PT15M');

function requireBoundary(meterId: string, field: string, instantMs: number): void {
  if (!Number.isSafeInteger(instantMs) || instantMs % BOUNDARY_MS !== 0) {
    throw registryError('NOT_AT_PERIOD_BOUNDARY', meterId, field, 'must be a period boundary (a quarter hour in UTC)');
  }
}

/** Meter points are managed by the DSO of their grid area or the market operator, never by their MPO. */
function requirePermitted(requester: Requester, gridArea: string, meterId: string): void {
  if (!requester.mayManage(gridArea)) {
    throw registryError('NOT_PERMITTED', meterId, 'gridArea', `only the DSO of grid area "${gridArea}" or the market operator may do this, not ${requester.address}`);
  }
}

function currentVersion(state: MeterPointState): MeterPointVersionState {
  if (state.status === 'unregistered') throw new RangeError('no version');
  return state.versions[state.versions.length - 1];
}

/** The meter stands registered exactly as the command says, with no later change. */
function isSameRegistration(state: MeterPointState, command: RegisterMeterPoint): boolean {
  if (state.status !== 'active' || state.versions.length !== 1) return false;
  const v = state.versions[0];
  return (
    v.direction === command.direction &&
    v.mpo === command.mpo &&
    v.dso === command.dso &&
    v.gridArea === command.gridArea &&
    v.groupId === command.groupId &&
    v.supplier === command.supplier &&
    v.connectionLimitW === command.connectionLimitW &&
    v.validFromMs === command.validFromMs
  );
}

function requireActive(state: MeterPointState, meterId: string): void {
  if (state.status === 'unregistered') throw registryError('UNKNOWN_METER', meterId, 'meterId', 'no meter point with this id is registered');
  if (state.status === 'retired') throw registryError('METER_RETIRED', meterId, 'meterId', `meter was retired at ${formatInstant(state.retiredAtMs)}`);
}

function decideMeterPoint(command: MeterPointCommand, state: MeterPointState): RegistryEvent[] {
  switch (command.type) {
    case 'RegisterMeterPoint': {
      requirePermitted(command.requester, command.gridArea, command.meterId);
      if (isSameRegistration(state, command)) return [];
      if (state.status !== 'unregistered') throw registryError('ALREADY_REGISTERED', command.meterId, 'meterId', 'a meter point with this id is already registered');
      requireBoundary(command.meterId, 'validFrom', command.validFromMs);
      const { type: _type, requester: _requester, ...terms } = command;
      return [{ type: 'MeterPointRegistered', version: { ...terms, validToMs: null } }];
    }
    case 'ChangeMeterPoint': {
      requireActive(state, command.meterId);
      const current = currentVersion(state);
      requirePermitted(command.requester, current.gridArea, command.meterId);
      requireBoundary(command.meterId, 'effectiveFrom', command.effectiveFromMs);
      if (command.effectiveFromMs <= current.validFromMs) {
        throw registryError('NOT_AFTER_CURRENT_VERSION', command.meterId, 'effectiveFrom', `must be after the current version's start ${formatInstant(current.validFromMs)}`);
      }
      const next: MeterPointVersionState = {
        ...current,
        groupId: command.groupId ?? current.groupId,
        supplier: command.supplier === undefined ? current.supplier : command.supplier,
        connectionLimitW: command.connectionLimitW ?? current.connectionLimitW,
        dso: command.dso ?? current.dso,
        validFromMs: command.effectiveFromMs,
        validToMs: null,
      };
      if (next.groupId === current.groupId && next.supplier === current.supplier && next.connectionLimitW === current.connectionLimitW && next.dso === current.dso) {
        throw registryError('NOTHING_CHANGED', command.meterId, '(body)', 'the change names no group, supplier, limit or DSO different from the current version');
      }
      return [{ type: 'MeterPointChanged', version: next }];
    }
    case 'RetireMeterPoint': {
      requireActive(state, command.meterId);
      const current = currentVersion(state);
      requirePermitted(command.requester, current.gridArea, command.meterId);
      requireBoundary(command.meterId, 'effectiveAt', command.effectiveAtMs);
      if (command.effectiveAtMs <= current.validFromMs) {
        throw registryError('NOT_AFTER_CURRENT_VERSION', command.meterId, 'effectiveAt', `must be after the current version's start ${formatInstant(current.validFromMs)}`);
      }
      return [{ type: 'MeterPointRetired', meterId: command.meterId, retiredAtMs: command.effectiveAtMs }];
    }
    default: {
      const unknownCommand: never = command;
      throw new RangeError(`unknown command ${JSON.stringify(unknownCommand)}`);
    }
  }
}

function evolveMeterPoint(state: MeterPointState, event: RegistryEvent): MeterPointState {
  switch (event.type) {
    case 'MeterPointRegistered':
      return { status: 'active', versions: [event.version] };
    case 'MeterPointChanged': {
      if (state.status !== 'active') return state;
      const closed = state.versions.map((v, i) => (i === state.versions.length - 1 ? { ...v, validToMs: event.version.validFromMs } : v));
      return { status: 'active', versions: [...closed, event.version] };
    }
    case 'MeterPointRetired': {
      if (state.status !== 'active') return state;
      const closed = state.versions.map((v, i) => (i === state.versions.length - 1 ? { ...v, validToMs: event.retiredAtMs } : v));
      return { status: 'retired', versions: closed, retiredAtMs: event.retiredAtMs };
    }
    default: {
      const unknownEvent: never = event;
      throw new RangeError(`unknown event ${JSON.stringify(unknownEvent)}`);
    }
  }
}
