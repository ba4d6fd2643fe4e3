import { HoldingVersion, HoldingsTimeline } from './holdings-timeline';
import type { HolderId, PlantId } from './ids';
import { foldEvents } from '@gridledger/domain';
import { HolderEvent, holderDecider } from './holder.decider';
import type { Holder, Plant } from './plant';
import { PlantSharesEvent, PlantSharesState, RegisteredPlant, balanceChanges, plantSharesDecider } from './plant-shares.decider';

/**
 * The read model of the plant and holder streams, as pure functions of the events: the
 * `plants` row (the plant, its shares in circulation, its stream version and last change),
 * the holdings timeline and the `holders` row. The service applies `projectPlantEvents` to its tables in the
 * transaction that appends the events; a rebuild writes `plantReadModel` of each stream.
 */
export interface PlantRecord {
  readonly plant: Plant;
  readonly issuedW: bigint;
  readonly streamVersion: number;
  readonly lastChangeAt: string;
}

/** The `holders` row. */
export interface HolderRecord {
  readonly holder: Holder;
  readonly registeredAt: string;
}

/** One event's effect on the holdings timeline: the new balances of the holders it names. */
export interface HoldingsChange {
  readonly plantId: PlantId;
  readonly at: string;
  readonly balances: ReadonlyArray<readonly [HolderId, bigint]>;
}

export function plantRecord(state: PlantSharesState, streamVersion: number): PlantRecord {
  const plant = requireRegistered(state);
  return { plant: plant.plant, issuedW: plant.issuedW, streamVersion, lastChangeAt: plant.changedAt };
}

/** Evolves `state` through `events`, naming each event's holdings change on the way. */
export function projectPlantEvents(
  state: PlantSharesState,
  events: readonly PlantSharesEvent[],
): { readonly state: PlantSharesState; readonly changes: readonly HoldingsChange[] } {
  const changes: HoldingsChange[] = [];
  let current = state;
  for (const event of events) {
    const balances = balanceChanges(current, event);
    current = plantSharesDecider.evolve(current, event);
    if (balances.length > 0) changes.push({ plantId: requireRegistered(current).plant.plantId, at: event.at, balances });
  }
  return { state: current, changes };
}

/** One plant stream's whole read model, from its first event on. */
export function plantReadModel(events: readonly PlantSharesEvent[]): { readonly plant: PlantRecord; readonly holdings: readonly HoldingVersion[] } {
  const { state, changes } = projectPlantEvents(plantSharesDecider.initialState(), events);
  const timeline = new HoldingsTimeline();
  for (const change of changes) timeline.apply(change.plantId, change.balances, Date.parse(change.at));
  return { plant: plantRecord(state, events.length), holdings: timeline.rows() };
}

export function holderRecord(events: readonly HolderEvent[]): HolderRecord {
  const state = foldEvents(holderDecider, events);
  if (state.status !== 'registered') throw new RangeError('a holder read model needs a registered holder');
  return { holder: state.holder, registeredAt: state.registeredAt };
}

function requireRegistered(state: PlantSharesState): RegisteredPlant {
  if (state.status !== 'registered') throw new RangeError('a plant read model needs a registered plant');
  return state;
}
