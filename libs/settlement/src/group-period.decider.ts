import { BalancingGroupId, Keccak256, PeriodId, PeriodLength, PricePerMWh, WattHours, periodEndMs } from '@gridledger/domain';
import { gateDecision } from './gate';
import { Posting } from './ledger';
import { ExpectedMeter, MeterValue, Schedule, meterKey } from './meter-value';
import { SettledVersion, SettlementTrigger, settleGroupPeriod } from './settle';
import { substituteValue } from './substitution';

/**
 * The life of one balancing group's period as a decider: open → gate closed → settled →
 * confirmed, with corrections opening version n+1. `decide` is pure: time, the previous
 * day's values for substitutes and the hash function come in from outside.
 */
export type GroupPeriodStatus = 'open' | 'gate-closed' | 'settled' | 'confirmed';

export interface GroupPeriodState {
  readonly groupId: BalancingGroupId;
  readonly periodId: PeriodId;
  readonly periodLength: PeriodLength;
  readonly gateDeadlineMs: number;
  readonly status: GroupPeriodStatus;
  readonly expected: ReadonlyMap<string, ExpectedMeter>;
  readonly values: ReadonlyMap<string, MeterValue>;
  readonly schedules: ReadonlyMap<string, Schedule>;
  readonly imbalancePricePerMWh: PricePerMWh | null;
  readonly versions: readonly SettledVersion[];
  readonly confirmedVersion: number | null;
}

export interface IncomingMeterValue {
  readonly meterId: string;
  readonly direction: 'consumption' | 'production';
  readonly energyWh: WattHours;
}

export type GroupPeriodCommand =
  | { readonly type: 'RecordExpectedMeters'; readonly meters: readonly ExpectedMeter[] }
  | { readonly type: 'RecordMeterValues'; readonly values: readonly IncomingMeterValue[] }
  | { readonly type: 'RecordSchedule'; readonly schedule: Schedule }
  | { readonly type: 'RecordPrice'; readonly imbalancePricePerMWh: PricePerMWh }
  | { readonly type: 'CloseGateIfDue'; readonly nowMs: number; readonly previousDayValues: ReadonlyMap<string, WattHours> }
  | { readonly type: 'ConfirmOnChain'; readonly version: number };

export type GroupPeriodEvent =
  | { readonly type: 'ExpectedMetersRecorded'; readonly meters: readonly ExpectedMeter[] }
  | { readonly type: 'MeterValueRecorded'; readonly value: MeterValue }
  | { readonly type: 'ScheduleRecorded'; readonly schedule: Schedule }
  | { readonly type: 'PriceRecorded'; readonly imbalancePricePerMWh: PricePerMWh }
  | { readonly type: 'GateClosed'; readonly reason: 'complete' | 'deadline'; readonly substitutes: readonly MeterValue[] }
  | { readonly type: 'PeriodSettled'; readonly settled: SettledVersion }
  | { readonly type: 'PeriodConfirmed'; readonly version: number };

export class SettlementCommandError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'SettlementCommandError';
  }
}

export function initialGroupPeriodState(groupId: BalancingGroupId, periodId: PeriodId, periodLength: PeriodLength, gateDeadlineAfterEndMs: number): GroupPeriodState {
  return {
    groupId,
    periodId,
    periodLength,
    gateDeadlineMs: periodEndMs(periodId, periodLength) + gateDeadlineAfterEndMs,
    status: 'open',
    expected: new Map(),
    values: new Map(),
    schedules: new Map(),
    imbalancePricePerMWh: null,
    versions: [],
    confirmedVersion: null,
  };
}

export interface DeciderDeps {
  readonly keccak: Keccak256;
}

export function decide(command: GroupPeriodCommand, state: GroupPeriodState, deps: DeciderDeps): GroupPeriodEvent[] {
  switch (command.type) {
    case 'RecordExpectedMeters': {
      const added = command.meters.filter((meter) => !state.expected.has(meterKey(meter)));
      if (added.length === 0) return [];
      const events: GroupPeriodEvent[] = [{ type: 'ExpectedMetersRecorded', meters: added }];
      return events;
    }
    case 'RecordMeterValues': {
      const changed = changedValues(command.values, state);
      const events: GroupPeriodEvent[] = changed.map((value) => ({ type: 'MeterValueRecorded', value }));
      return [...events, ...afterChange(state, events, deps, 'correction')];
    }
    case 'RecordSchedule': {
      if (command.schedule.energyWh < 0n) throw new SettlementCommandError('schedule.energyWh', 'must not be negative');
      if (command.schedule.fromGroup === command.schedule.toGroup) throw new SettlementCommandError('schedule.toGroup', 'must differ from fromGroup');
      const known = state.schedules.get(command.schedule.scheduleId);
      if (known && known.energyWh === command.schedule.energyWh && known.fromGroup === command.schedule.fromGroup && known.toGroup === command.schedule.toGroup) return [];
      const events: GroupPeriodEvent[] = [{ type: 'ScheduleRecorded', schedule: command.schedule }];
      return [...events, ...afterChange(state, events, deps, 'correction')];
    }
    case 'RecordPrice': {
      if (state.imbalancePricePerMWh === command.imbalancePricePerMWh) return [];
      const events: GroupPeriodEvent[] = [{ type: 'PriceRecorded', imbalancePricePerMWh: command.imbalancePricePerMWh }];
      return [...events, ...afterChange(state, events, deps, 'priced')];
    }
    case 'CloseGateIfDue': {
      if (state.status !== 'open') return [];
      const decision = gateDecision({
        expected: [...state.expected.values()],
        reportedKeys: new Set(state.values.keys()),
        periodEndMs: periodEndMs(state.periodId, state.periodLength),
        deadlineMs: state.gateDeadlineMs - periodEndMs(state.periodId, state.periodLength),
        nowMs: command.nowMs,
      });
      if (decision.kind === 'stay-open') return [];
      const substitutes = decision.reason === 'deadline' ? decision.missing.map((meter) => substituteValue(meter, command.previousDayValues.get(meterKey(meter)))) : [];
      return closeAndSettle(state, decision.reason, substitutes, deps);
    }
    case 'ConfirmOnChain': {
      const latest = state.versions.at(-1);
      if (!latest || command.version > latest.version) throw new SettlementCommandError('version', `version ${command.version} was never settled`);
      if (state.confirmedVersion !== null && state.confirmedVersion >= command.version) return [];
      return [{ type: 'PeriodConfirmed', version: command.version }];
    }
    default: {
      const unknown: never = command;
      throw new SettlementCommandError('type', `unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

/** Values that change the period: new meters, or a different energy than recorded. */
function changedValues(values: readonly IncomingMeterValue[], state: GroupPeriodState): MeterValue[] {
  const latest = new Map<string, MeterValue>();
  for (const incoming of values) {
    if (incoming.energyWh < 0n) throw new SettlementCommandError(`values[${incoming.meterId}].energyWh`, 'must not be negative');
    latest.set(meterKey(incoming), { meterId: incoming.meterId, direction: incoming.direction, energyWh: incoming.energyWh, substituted: false });
  }
  return [...latest.values()].filter((value) => {
    const known = state.values.get(meterKey(value));
    return !known || known.substituted || known.energyWh !== value.energyWh;
  });
}

/** After a change: an open period may now be complete; a settled one opens version n+1. */
function afterChange(state: GroupPeriodState, changes: readonly GroupPeriodEvent[], deps: DeciderDeps, trigger: SettlementTrigger): GroupPeriodEvent[] {
  if (changes.length === 0) return [];
  const next = changes.reduce(evolve, state);
  if (next.status === 'open') {
    const complete = next.expected.size > 0 && [...next.expected.keys()].every((key) => next.values.has(key));
    return complete ? closeAndSettle(next, 'complete', [], deps) : [];
  }
  return [{ type: 'PeriodSettled', settled: settleNext(next, trigger, deps) }];
}

function closeAndSettle(state: GroupPeriodState, reason: 'complete' | 'deadline', substitutes: readonly MeterValue[], deps: DeciderDeps): GroupPeriodEvent[] {
  const closed: GroupPeriodEvent = { type: 'GateClosed', reason, substitutes };
  const next = evolve(state, closed);
  return [closed, { type: 'PeriodSettled', settled: settleNext(next, reason, deps) }];
}

function settleNext(state: GroupPeriodState, trigger: SettlementTrigger, deps: DeciderDeps): SettledVersion {
  return settleGroupPeriod(
    {
      groupId: state.groupId,
      periodId: state.periodId,
      periodLength: state.periodLength,
      version: state.versions.length + 1,
      trigger,
      values: [...state.values.values()],
      schedules: [...state.schedules.values()],
      imbalancePricePerMWh: state.imbalancePricePerMWh,
      previousPostings: postingsOf(state),
    },
    deps.keccak,
  );
}

export function postingsOf(state: GroupPeriodState): Posting[] {
  return state.versions.flatMap((version) => (version.posting ? [version.posting] : []));
}

export function evolve(state: GroupPeriodState, event: GroupPeriodEvent): GroupPeriodState {
  switch (event.type) {
    case 'ExpectedMetersRecorded': {
      const expected = new Map(state.expected);
      for (const meter of event.meters) expected.set(meterKey(meter), meter);
      return { ...state, expected };
    }
    case 'MeterValueRecorded': {
      const values = new Map(state.values);
      values.set(meterKey(event.value), event.value);
      return { ...state, values };
    }
    case 'ScheduleRecorded': {
      const schedules = new Map(state.schedules);
      schedules.set(event.schedule.scheduleId, event.schedule);
      return { ...state, schedules };
    }
    case 'PriceRecorded':
      return { ...state, imbalancePricePerMWh: event.imbalancePricePerMWh };
    case 'GateClosed': {
      const values = new Map(state.values);
      for (const substitute of event.substitutes) values.set(meterKey(substitute), substitute);
      return { ...state, values, status: 'gate-closed' };
    }
    case 'PeriodSettled':
      return { ...state, status: 'settled', versions: [...state.versions, event.settled] };
    case 'PeriodConfirmed':
      return { ...state, status: 'confirmed', confirmedVersion: event.version };
    default: {
      const unknown: never = event;
      throw new SettlementCommandError('type', `unknown event ${JSON.stringify(unknown)}`);
    }
  }
}
