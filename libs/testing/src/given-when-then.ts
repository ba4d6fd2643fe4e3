// jest's global `expect` (not @jest/globals, which throws when a bench or the demo loads this package).
import { DomainError, foldEvents, type Decider } from '@gridledger/domain';

/**
 * The one given/when/then for decider specs, over the same functions production calls:
 *
 *   const spec = deciderSpec(plantSharesDecider);
 *   spec.given(plantRegistered).when(issueShares).then([sharesIssued]);
 *   spec.given().when(transfer).thenRefused('INSUFFICIENT_SHARES', 'sharesW');
 *
 * `givenCommands` builds the history by deciding commands in turn, for aggregates whose
 * events are easier to produce than to write out (a settled version with its root).
 */
export function deciderSpec<Command extends { readonly type: string }, Event extends { readonly type: string }, State>(decider: Decider<Command, Event, State>) {
  const whenFrom = (history: readonly Event[]) => {
    const state = foldEvents(decider, history);
    return {
      history,
      state,
      when(command: Command) {
        const decided = () => decider.decide(command, state);
        return {
          /** The events decided (throws what decide throws). */
          events: (): readonly Event[] => decided(),
          /** The state after the decided events. */
          stateAfter: (): State => foldEvents(decider, decided(), state),
          then(expected: readonly Event[]): readonly Event[] {
            const events = decided();
            expect(events).toEqual(expected);
            return events;
          },
          thenRefused(code: string, field?: string): DomainError {
            let refusal: unknown;
            try {
              decided();
            } catch (error) {
              refusal = error;
            }
            expect(refusal).toBeInstanceOf(DomainError);
            const error = refusal as DomainError;
            expect(error.code).toBe(code);
            if (field !== undefined) expect(error.field).toBe(field);
            return error;
          },
        };
      },
    };
  };
  return {
    given: (...history: Event[]) => whenFrom(history),
    givenCommands(...commands: Command[]) {
      const history: Event[] = [];
      for (const command of commands) history.push(...decider.decide(command, foldEvents(decider, history)));
      return whenFrom(history);
    },
  };
}
