import { BalancingGroupId, Decider, DomainError, Keccak256, PeriodId, PeriodLength, PricePerMWh, WattHours, periodEndMs } from '@gridledger/domain';
import { GateDecision, gateDecision, isComplete } from './gate';
import { Posting } from './ledger';
import { ExpectedMeter, IncomingMeterValue, MeterValue, Schedule, changedValues, meterKey } from './meter-value';
import { EMPTY_METER_ROWS, MeterRows, leafColumnsOf, rowIndexOf, valueOf, withExpected, withValues } from './meter-rows';
import { SettledVersion, SettlementTrigger, merkleRootOfLeaves, periodStartSeconds, settleGroupPeriod, versionSaltKey } from './settle';
import { substituteValue } from './substitution';
import { InputsCheck, SubstitutionReason, checkInputs } from './inputs-check';

/**
 * The life of one balancing group's period as a decider: open → gate closed → settled →
 * confirmed, with corrections opening version n+1. Pure: time (`nowMs`), the previous day's
 * values for substitutes and the hash function come in from outside. The service settles
 * through it too: it loads a group-period's state from Postgres, decides `CloseGateIfDue` or
 * `SettleChanges`, and stores what the events say.
 */
export type GroupPeriodStatus = 'open' | 'gate-closed' | 'settled' | 'confirmed';

export interface GroupPeriodState {
  readonly status: GroupPeriodStatus;
  /** Expected meters and values, as columns (a period may hold a million meters). */
  readonly meters: MeterRows;
  readonly schedules: ReadonlyMap<string, Schedule>;
  readonly imbalancePricePerMWh: PricePerMWh | null;
  readonly versions: readonly SettledVersion[];
  readonly confirmedVersion: number | null;
  /** Why the gate's substitutes were made (set when the gate closes with substitutes). */
  readonly substitutionReason?: SubstitutionReason | null;
}

/** Which group-period a decider decides for. */
export interface GroupPeriodContext {
  readonly groupId: BalancingGroupId;
  readonly periodId: PeriodId;
  readonly periodLength: PeriodLength;
  /** How long after the period end the gate closes with whatever has arrived. */
  readonly gateDeadlineMs: number;
}

export interface GroupPeriodDeps {
  readonly keccak: Keccak256;
  /** balancing's leaf salt key (BALANCING_LEAF_SALT_KEY): each version's leaves are salted from it. */
  readonly leafSaltKey: Uint8Array;
  /**
   * A Merkle root already worked out for exactly these rows under this version's salts, if any:
   * the service hashes the rows it loaded on worker threads while it reads the rest of the
   * state. Rows the decision changed (substitutes) are hashed here with `keccak`.
   */
  readonly knownRoot?: (meters: MeterRows, version: number) => string | undefined;
}

export type GroupPeriodCommand =
  | { readonly type: 'RecordExpectedMeters'; readonly meters: readonly ExpectedMeter[] }
  | { readonly type: 'RecordMeterValues'; readonly values: readonly IncomingMeterValue[] }
  | { readonly type: 'RecordSchedule'; readonly schedule: Schedule }
  | { readonly type: 'RecordPrice'; readonly imbalancePricePerMWh: PricePerMWh }
  /**
   * The settlement worker's tick on an open period; substitutes use `previousDayValues` (by
   * meterKey). With `inputs` (manifests required), the gate closes only when balancing's
   * values match meter-ingest's manifest: at the deadline a mismatch asks for a re-send
   * instead of substituting, and only meters meter-ingest never received are substituted.
   */
  | { readonly type: 'CloseGateIfDue'; readonly nowMs: number; readonly previousDayValues: ReadonlyMap<string, WattHours>; readonly inputs?: InputsCheck }
  /**
   * Inputs of a settled period changed in the store since its latest version (values,
   * schedules and price are recorded as they arrive, outside this decider): settle again,
   * once the values match the manifest when `inputs` is given.
   */
  | { readonly type: 'SettleChanges'; readonly inputs?: InputsCheck }
  | { readonly type: 'ConfirmOnChain'; readonly version: number };

export type GroupPeriodEvent =
  | { readonly type: 'ExpectedMetersRecorded'; readonly meters: readonly ExpectedMeter[] }
  | { readonly type: 'MeterValuesRecorded'; readonly values: readonly MeterValue[] }
  | { readonly type: 'ScheduleRecorded'; readonly schedule: Schedule }
  | { readonly type: 'PriceRecorded'; readonly imbalancePricePerMWh: PricePerMWh }
  | { readonly type: 'GateClosed'; readonly reason: 'complete' | 'deadline'; readonly substitutes: readonly MeterValue[]; readonly substitutionReason?: SubstitutionReason }
  /**
   * Balancing's values do not match the manifest where they must (at the deadline, or for a
   * correction): not settled; the service asks meter-ingest to re-send the group-period.
   */
  | { readonly type: 'ResendRequested'; readonly expected: { readonly count: number; readonly digest: string }; readonly received: { readonly count: number; readonly digest: string }; readonly missing: number }
  | { readonly type: 'PeriodSettled'; readonly settled: SettledVersion }
  | { readonly type: 'PeriodConfirmed'; readonly version: number };

export type GroupPeriodDecider = Decider<GroupPeriodCommand, GroupPeriodEvent, GroupPeriodState>;

export function initialGroupPeriodState(): GroupPeriodState {
  return { status: 'open', meters: EMPTY_METER_ROWS, schedules: new Map(), imbalancePricePerMWh: null, versions: [], confirmedVersion: null };
}

/** The gate of an open period at `nowMs`; the service asks it first to know which previous-day values to load. */
export function groupPeriodGate(context: GroupPeriodContext, meters: MeterRows, nowMs: number): GateDecision {
  return gateDecision({ meters, periodEndMs: periodEndMs(context.periodId, context.periodLength), deadlineMs: context.gateDeadlineMs, nowMs });
}

export function postingsOf(state: GroupPeriodState): Posting[] {
  return state.versions.flatMap((version) => (version.posting ? [version.posting] : []));
}

export function groupPeriodDecider(context: GroupPeriodContext, deps: GroupPeriodDeps): GroupPeriodDecider {
  const startSeconds = periodStartSeconds(context.periodId, context.periodLength);

  function decide(command: GroupPeriodCommand, state: GroupPeriodState): GroupPeriodEvent[] {
    switch (command.type) {
      case 'RecordExpectedMeters': {
        const index = rowIndexOf(state.meters);
        const added = command.meters.filter((meter) => {
          const row = index.get(meterKey(meter));
          return row === undefined || state.meters.expected[row] === 0;
        });
        return added.length === 0 ? [] : [{ type: 'ExpectedMetersRecorded', meters: added }];
      }
      case 'RecordMeterValues': {
        const changed = changedValues(command.values, (key) => valueOf(state.meters, key));
        return afterChange(state, changed.length === 0 ? [] : [{ type: 'MeterValuesRecorded', values: changed }]);
      }
      case 'RecordSchedule': {
        const { schedule } = command;
        if (schedule.energyWh < 0n) throw DomainError.invalid('schedule.energyWh', 'must not be negative', 'ENERGY_OUT_OF_RANGE');
        if (schedule.fromGroup === schedule.toGroup) throw DomainError.invalid('schedule.toGroup', 'must differ from fromGroup', 'SAME_GROUP');
        const known = state.schedules.get(schedule.scheduleId);
        if (known && known.energyWh === schedule.energyWh && known.fromGroup === schedule.fromGroup && known.toGroup === schedule.toGroup) return [];
        return afterChange(state, [{ type: 'ScheduleRecorded', schedule }]);
      }
      case 'RecordPrice': {
        if (state.imbalancePricePerMWh === command.imbalancePricePerMWh) return [];
        return afterChange(state, [{ type: 'PriceRecorded', imbalancePricePerMWh: command.imbalancePricePerMWh }]);
      }
      case 'CloseGateIfDue': {
        if (state.status !== 'open') return [];
        const decision = groupPeriodGate(context, state.meters, command.nowMs);
        if (decision.kind === 'stay-open') return [];
        if (command.inputs) {
          const verdict = checkInputs(command.inputs);
          // Before the deadline a mismatch waits (values or the manifest are on their way).
          if (verdict.kind === 'mismatch') return decision.reason === 'deadline' ? [resendRequested(verdict)] : [];
        }
        const substitutes = decision.reason === 'deadline' ? decision.missing.map((meter) => substituteValue(meter, command.previousDayValues.get(meterKey(meter)))) : [];
        const substitutionReason: SubstitutionReason = command.inputs ? 'not-received-by-meter-ingest' : 'deadline';
        return closeAndSettle(state, decision.reason, substitutes, substitutes.length > 0 ? substitutionReason : undefined);
      }
      case 'SettleChanges': {
        if (state.status !== 'settled' && state.status !== 'confirmed') return [];
        const verdict = command.inputs ? checkInputs(command.inputs) : undefined;
        return verdict?.kind === 'mismatch' ? [resendRequested(verdict)] : settleAgain(state);
      }
      case 'ConfirmOnChain': {
        const latest = state.versions.at(-1);
        if (!latest || command.version > latest.version) throw new DomainError('unprocessable', 'VERSION_NOT_SETTLED', 'version', `version ${command.version} was never settled`);
        if (state.confirmedVersion !== null && state.confirmedVersion >= command.version) return [];
        return [{ type: 'PeriodConfirmed', version: command.version }];
      }
      default: {
        const unknown: never = command;
        throw DomainError.invalid('type', `unknown command ${JSON.stringify(unknown)}`, 'UNKNOWN_COMMAND');
      }
    }
  }

  /** After a change: an open period may now be complete; a settled one settles again. */
  function afterChange(state: GroupPeriodState, changes: readonly GroupPeriodEvent[]): GroupPeriodEvent[] {
    if (changes.length === 0) return [];
    const next = changes.reduce(evolve, state);
    if (next.status !== 'open') return [...changes, ...settleAgain(next)];
    return isComplete(next.meters) ? [...changes, ...closeAndSettle(next, 'complete', [])] : [...changes];
  }

  function closeAndSettle(state: GroupPeriodState, reason: 'complete' | 'deadline', substitutes: readonly MeterValue[], substitutionReason?: SubstitutionReason): GroupPeriodEvent[] {
    const closed: GroupPeriodEvent = substitutionReason ? { type: 'GateClosed', reason, substitutes, substitutionReason } : { type: 'GateClosed', reason, substitutes };
    return [closed, { type: 'PeriodSettled', settled: settleNext(evolve(state, closed), reason) }];
  }

  /**
   * Version n+1 from the current inputs, unless it would change nothing (no empty
   * versions). The same energy (root, totals, substitutes) under a new price is `priced`;
   * anything else is a `correction`.
   */
  function settleAgain(state: GroupPeriodState): GroupPeriodEvent[] {
    const latest = state.versions.at(-1);
    const next = settleNext(state, 'correction');
    if (!latest || !sameEnergy(latest, next, () => rootAt(state.meters, latest.version))) return [{ type: 'PeriodSettled', settled: next }];
    if (latest.imbalancePricePerMWh === next.imbalancePricePerMWh) return [];
    return [{ type: 'PeriodSettled', settled: { ...next, trigger: 'priced' } }];
  }

  /** The root of `meters` under the salts of `version` (each version salts its leaves anew). */
  function rootAt(meters: MeterRows, version: number): string {
    return deps.knownRoot?.(meters, version) ?? merkleRootOfLeaves(leafColumnsOf(meters), startSeconds, versionSaltKey(deps.leafSaltKey, context.groupId, startSeconds, version), deps.keccak);
  }

  function settleNext(state: GroupPeriodState, trigger: SettlementTrigger): SettledVersion {
    const version = state.versions.length + 1;
    const merkleRoot = rootAt(state.meters, version);
    const settled = settleGroupPeriod(
      {
        groupId: context.groupId,
        periodId: context.periodId,
        periodLength: context.periodLength,
        version,
        trigger,
        meters: state.meters,
        schedules: [...state.schedules.values()],
        imbalancePricePerMWh: state.imbalancePricePerMWh,
        previousPostings: postingsOf(state),
      },
      merkleRoot,
    );
    if (settled.totals.substitutedCount === 0) return settled;
    // Substitutes stay until real values replace them: later versions keep the gate's reason.
    return { ...settled, substitutionReason: state.substitutionReason ?? state.versions.at(-1)?.substitutionReason ?? 'deadline' };
  }

  return { initialState: initialGroupPeriodState, decide, evolve };
}

function resendRequested(verdict: Extract<ReturnType<typeof checkInputs>, { kind: 'mismatch' }>): GroupPeriodEvent {
  return { type: 'ResendRequested', expected: verdict.expected, received: verdict.received, missing: verdict.missing };
}

/**
 * Whether `next` settles the same energy as `previous`. Roots of two versions always differ
 * (each salts its leaves anew), so the leaves are compared by hashing them under the previous
 * version's salts, and only when the totals already agree.
 */
function sameEnergy(previous: SettledVersion, next: SettledVersion, rootUnderPreviousSalts: () => string): boolean {
  return (
    previous.totals.feedInWh === next.totals.feedInWh &&
    previous.totals.feedOutWh === next.totals.feedOutWh &&
    previous.totals.scheduleNetWh === next.totals.scheduleNetWh &&
    previous.totals.substitutedCount === next.totals.substitutedCount &&
    rootUnderPreviousSalts() === previous.merkleRoot
  );
}

function evolve(state: GroupPeriodState, event: GroupPeriodEvent): GroupPeriodState {
  switch (event.type) {
    case 'ExpectedMetersRecorded':
      return { ...state, meters: withExpected(state.meters, event.meters) };
    case 'MeterValuesRecorded':
      return { ...state, meters: withValues(state.meters, event.values) };
    case 'ScheduleRecorded':
      return { ...state, schedules: new Map(state.schedules).set(event.schedule.scheduleId, event.schedule) };
    case 'PriceRecorded':
      return { ...state, imbalancePricePerMWh: event.imbalancePricePerMWh };
    case 'GateClosed':
      // No substitutes: the same rows, so a root worked out for them still applies.
      return { ...state, meters: withValues(state.meters, event.substitutes), status: 'gate-closed', substitutionReason: event.substitutionReason ?? null };
    case 'PeriodSettled':
      return { ...state, status: 'settled', versions: [...state.versions, event.settled] };
    case 'PeriodConfirmed':
      return { ...state, status: 'confirmed', confirmedVersion: event.version };
    case 'ResendRequested':
      return state;
    default: {
      const unknown: never = event;
      throw DomainError.invalid('type', `unknown event ${JSON.stringify(unknown)}`, 'UNKNOWN_EVENT');
    }
  }
}
