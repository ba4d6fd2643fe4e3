/**
 * The one shape of every aggregate's rules (after emmett's decider): three pure functions.
 * Commands and events are discriminated unions on `type`; time and ids arrive inside the
 * command (`at`, `nowMs`), never read from a clock here. An aggregate that needs outside
 * context (its id, a hash function) is built by a factory that returns its Decider.
 */
export interface Decider<Command extends { readonly type: string }, Event extends { readonly type: string }, State> {
  /** The state before the first event. */
  initialState(): State;
  /** What happens when `command` meets `state`: the new events, or a thrown DomainError. */
  decide(command: Command, state: State): readonly Event[];
  /** The state after `event`. Never throws for an event that `decide` produced. */
  evolve(state: State, event: Event): State;
}

/** The state after a history of events. */
export function foldEvents<Command extends { readonly type: string }, Event extends { readonly type: string }, State>(
  decider: Decider<Command, Event, State>,
  events: Iterable<Event>,
  from: State = decider.initialState(),
): State {
  let state = from;
  for (const event of events) state = decider.evolve(state, event);
  return state;
}

/** Decide and evolve in one step: the events and the state after them. */
export function runCommand<Command extends { readonly type: string }, Event extends { readonly type: string }, State>(
  decider: Decider<Command, Event, State>,
  command: Command,
  state: State,
): { readonly events: readonly Event[]; readonly state: State } {
  const events = decider.decide(command, state);
  return { events, state: foldEvents(decider, events, state) };
}
