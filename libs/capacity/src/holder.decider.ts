import type { Decider } from '@gridledger/domain';
import { CapacityErrorCode, capacityError } from './capacity.errors';
import { Holder, validateHolder } from './plant';

/** Holder registration as a decider: a holder is registered once. One stream per holder. */
export type HolderCommand = { readonly type: 'RegisterHolder'; readonly holder: Holder; readonly at: string };
export type HolderEvent = { readonly type: 'HolderRegistered'; readonly holder: Holder; readonly at: string };
export type HolderState =
  | { readonly status: 'unregistered' }
  | { readonly status: 'registered'; readonly holder: Holder; readonly registeredAt: string };

export const holderDecider: Decider<HolderCommand, HolderEvent, HolderState> = {
  initialState: () => ({ status: 'unregistered' }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterHolder':
        if (state.status === 'registered') {
          throw capacityError(CapacityErrorCode.HolderAlreadyRegistered, 'holderId', `holder ${command.holder.holderId} is already registered`);
        }
        return [{ type: 'HolderRegistered', holder: validateHolder(command.holder), at: command.at }];
      default: {
        const unknown: never = command.type;
        throw new Error(`unknown command ${String(unknown)}`);
      }
    }
  },

  evolve(_state, event) {
    switch (event.type) {
      case 'HolderRegistered':
        return { status: 'registered', holder: event.holder, registeredAt: event.at };
      default: {
        const unknown: never = event.type;
        throw new Error(`unknown event ${String(unknown)}`);
      }
    }
  },
};
