import { CapacityError, CapacityErrorCode } from './capacity.errors';
import { Holder, validateHolder } from './plant';

/** Holder registration as a decider: a holder is registered once. */
export type HolderCommand = { readonly type: 'RegisterHolder'; readonly holder: Holder; readonly at: string };
export type HolderEvent = { readonly type: 'HolderRegistered'; readonly holder: Holder; readonly at: string };
export type HolderState = { readonly status: 'unregistered' } | { readonly status: 'registered'; readonly holder: Holder };

export function initialHolderState(): HolderState {
  return { status: 'unregistered' };
}

export function decideHolder(command: HolderCommand, state: HolderState): HolderEvent[] {
  switch (command.type) {
    case 'RegisterHolder':
      if (state.status === 'registered') {
        throw new CapacityError(CapacityErrorCode.HolderAlreadyRegistered, 'holderId', `holder ${command.holder.holderId} is already registered`);
      }
      return [{ type: 'HolderRegistered', holder: validateHolder(command.holder), at: command.at }];
    default: {
      const unknown: never = command.type;
      throw new Error(`unknown command ${String(unknown)}`);
    }
  }
}

export function evolveHolder(_state: HolderState, event: HolderEvent): HolderState {
  return { status: 'registered', holder: event.holder };
}
