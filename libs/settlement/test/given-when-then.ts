import { Keccak256, loadKeccak256 } from '@gridledger/domain';
import { GroupPeriodCommand, GroupPeriodEvent, GroupPeriodState, decide, evolve, initialGroupPeriodState } from '../src';

export const GROUP = 'BG-NORTH';
export const PERIOD = '2026-03-29T01:00:00Z';
/** 01:15 is the period end; the gate deadline is 30 minutes later. */
export const PERIOD_END_MS = Date.parse('2026-03-29T01:15:00Z');
export const DEADLINE_AFTER_END_MS = 30 * 60_000;

let keccak: Keccak256 | undefined;
export async function loadTestKeccak(): Promise<Keccak256> {
  keccak ??= await loadKeccak256();
  return keccak;
}

export function stateAfter(events: readonly GroupPeriodEvent[]): GroupPeriodState {
  return events.reduce(evolve, initialGroupPeriodState(GROUP, PERIOD, 'PT15M', DEADLINE_AFTER_END_MS));
}

/** given(events).when(command) → the events decided; `then` is jest's expect. */
export function given(...history: GroupPeriodCommand[]) {
  if (!keccak) throw new Error('call loadTestKeccak() in beforeAll');
  const deps = { keccak };
  let events: GroupPeriodEvent[] = [];
  for (const command of history) events = [...events, ...decide(command, stateAfter(events), deps)];
  return {
    history: events,
    state: stateAfter(events),
    when(command: GroupPeriodCommand): GroupPeriodEvent[] {
      return decide(command, stateAfter(events), deps);
    },
  };
}
