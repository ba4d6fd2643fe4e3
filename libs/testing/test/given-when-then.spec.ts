import { DomainError, MAX_REASON_LENGTH, foldEvents, runCommand, type Decider } from '@gridledger/domain';
import { deciderSpec } from '../src';

type Command = { type: 'Add'; amount: number } | { type: 'Reset' };
type Event = { type: 'Added'; amount: number } | { type: 'WasReset' };
const counter: Decider<Command, Event, number> = {
  initialState: () => 0,
  decide(command, state) {
    switch (command.type) {
      case 'Add':
        if (command.amount <= 0) throw DomainError.invalid('amount', 'must be positive');
        return [{ type: 'Added', amount: command.amount }];
      case 'Reset':
        return state === 0 ? [] : [{ type: 'WasReset' }];
    }
  },
  evolve: (state, event) => (event.type === 'Added' ? state + event.amount : 0),
};

describe('decider shape', () => {
  const spec = deciderSpec(counter);

  it('folds a history and runs a command', () => {
    expect(foldEvents(counter, [{ type: 'Added', amount: 2 }, { type: 'Added', amount: 3 }])).toBe(5);
    expect(runCommand(counter, { type: 'Add', amount: 4 }, 1)).toEqual({ events: [{ type: 'Added', amount: 4 }], state: 5 });
  });

  it('given/when/then over events and over commands', () => {
    spec.given({ type: 'Added', amount: 1 }).when({ type: 'Reset' }).then([{ type: 'WasReset' }]);
    spec.given().when({ type: 'Reset' }).then([]);
    expect(spec.givenCommands({ type: 'Add', amount: 7 }).state).toBe(7);
  });

  it('refusals name code and field, and bound their reason', () => {
    const error = spec.given().when({ type: 'Add', amount: 0 }).thenRefused('INVALID_FIELD', 'amount');
    expect(error.errors).toEqual([{ field: 'amount', code: 'INVALID_FIELD', reason: 'must be positive' }]);
    expect(new DomainError('invalid', 'X', 'f', 'y'.repeat(10_000)).reason).toHaveLength(MAX_REASON_LENGTH);
    expect(DomainError.many('conflict', [{ field: 'a', code: 'A', reason: 'r' }, { field: 'b', code: 'B', reason: 's' }]).errors).toHaveLength(2);
  });
});
