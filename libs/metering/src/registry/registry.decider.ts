import { formatInstant, periodLengthMs } from '@gridledger/domain';
import {
  RegistryError,
  type MeterPointState,
  type MeterPointVersionState,
  type RegistryCommand,
  type RegistryEvent,
  type Requester,
} from './registry.types';

/**
 * The meter registry as a decider: decide(command, state) → events, evolve(state, event) →
 * state. One stream per meter point. Versions change only at period boundaries so every
 * period of a meter has exactly one group, supplier and limit.
 */
export function initialMeterPointState(): MeterPointState {
  return { status: 'unregistered' };
}

const BOUNDARY_MS = periodLengthMs('PT15M');

function requireBoundary(meterId: string, field: string, instantMs: number): void {
  if (!Number.isSafeInteger(instantMs) || instantMs % BOUNDARY_MS !== 0) {
    throw new RegistryError('NOT_AT_PERIOD_BOUNDARY', meterId, field, 'must be a period boundary (a quarter hour in UTC)');
  }
}

function requirePermitted(requester: Requester, mpo: string, meterId: string): void {
  if (requester.kind === 'mpo' && requester.address !== mpo) {
    throw new RegistryError('NOT_PERMITTED', meterId, 'mpo', `only the meter's MPO ${mpo} or the operator may do this, not ${requester.address}`);
  }
}

function currentVersion(state: MeterPointState): MeterPointVersionState {
  if (state.status === 'unregistered') throw new RangeError('no version');
  return state.versions[state.versions.length - 1];
}

export function decideMeterPoint(command: RegistryCommand, state: MeterPointState, requester: Requester): RegistryEvent[] {
  switch (command.type) {
    case 'RegisterMeterPoint': {
      if (state.status !== 'unregistered') throw new RegistryError('ALREADY_REGISTERED', command.meterId, 'meterId', 'a meter point with this id is already registered');
      requirePermitted(requester, command.mpo, command.meterId);
      requireBoundary(command.meterId, 'validFrom', command.validFromMs);
      const { type: _type, ...fields } = command;
      return [{ type: 'MeterPointRegistered', version: { ...fields, validToMs: null } }];
    }
    case 'ChangeMeterPoint': {
      if (state.status === 'unregistered') throw new RegistryError('UNKNOWN_METER', command.meterId, 'meterId', 'no meter point with this id is registered');
      if (state.status === 'retired') throw new RegistryError('METER_RETIRED', command.meterId, 'meterId', `meter was retired at ${formatInstant(state.retiredAtMs)}`);
      const current = currentVersion(state);
      requirePermitted(requester, current.mpo, command.meterId);
      requireBoundary(command.meterId, 'effectiveFrom', command.effectiveFromMs);
      if (command.effectiveFromMs <= current.validFromMs) {
        throw new RegistryError('NOT_AFTER_CURRENT_VERSION', command.meterId, 'effectiveFrom', `must be after the current version's start ${formatInstant(current.validFromMs)}`);
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
        throw new RegistryError('NOTHING_CHANGED', command.meterId, '(body)', 'the change names no group, supplier, limit or DSO different from the current version');
      }
      return [{ type: 'MeterPointChanged', version: next }];
    }
    case 'RetireMeterPoint': {
      if (state.status === 'unregistered') throw new RegistryError('UNKNOWN_METER', command.meterId, 'meterId', 'no meter point with this id is registered');
      if (state.status === 'retired') throw new RegistryError('METER_RETIRED', command.meterId, 'meterId', `meter was retired at ${formatInstant(state.retiredAtMs)}`);
      const current = currentVersion(state);
      requirePermitted(requester, current.mpo, command.meterId);
      requireBoundary(command.meterId, 'effectiveAt', command.effectiveAtMs);
      if (command.effectiveAtMs <= current.validFromMs) {
        throw new RegistryError('NOT_AFTER_CURRENT_VERSION', command.meterId, 'effectiveAt', `must be after the current version's start ${formatInstant(current.validFromMs)}`);
      }
      return [{ type: 'MeterPointRetired', meterId: command.meterId, retiredAtMs: command.effectiveAtMs }];
    }
    default: {
      const unknownCommand: never = command;
      throw new RangeError(`unknown command ${JSON.stringify(unknownCommand)}`);
    }
  }
}

export function evolveMeterPoint(state: MeterPointState, event: RegistryEvent): MeterPointState {
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

/** Folds a meter point's stored events into its state. */
export function replayMeterPoint(events: Iterable<RegistryEvent>): MeterPointState {
  let state = initialMeterPointState();
  for (const event of events) state = evolveMeterPoint(state, event);
  return state;
}

