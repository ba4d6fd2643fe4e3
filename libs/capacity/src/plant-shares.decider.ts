import type { Decider } from '@gridledger/domain';
import { CapacityErrorCode, capacityError, plantNotRegistered } from './capacity.errors';
import { HolderId, PlantId, requireEntityId, requireWatts } from './ids';
import { Plant, validatePlant } from './plant';

/**
 * The shares of one plant as a decider (one stream per plant). Time comes in with the command
 * (`at`, ISO instant); nothing here reads a clock. A change never takes effect before the
 * plant's last change, so a plant's history stays ordered in time even if a clock steps back.
 */
export type PlantSharesCommand =
  | { readonly type: 'RegisterPlant'; readonly plant: Plant; readonly at: string }
  | { readonly type: 'IssueShares'; readonly plantId: PlantId; readonly holderId: HolderId; readonly sharesW: bigint; readonly at: string }
  | {
      readonly type: 'TransferShares';
      readonly plantId: PlantId;
      readonly fromHolderId: HolderId;
      readonly toHolderId: HolderId;
      readonly sharesW: bigint;
      readonly at: string;
    }
  | { readonly type: 'RetireShares'; readonly plantId: PlantId; readonly holderId: HolderId; readonly sharesW: bigint; readonly at: string };

export type PlantSharesEvent =
  | { readonly type: 'PlantRegistered'; readonly plant: Plant; readonly at: string }
  | { readonly type: 'SharesIssued'; readonly plantId: PlantId; readonly holderId: HolderId; readonly sharesW: bigint; readonly at: string }
  | {
      readonly type: 'SharesTransferred';
      readonly plantId: PlantId;
      readonly fromHolderId: HolderId;
      readonly toHolderId: HolderId;
      readonly sharesW: bigint;
      readonly at: string;
    }
  | { readonly type: 'SharesRetired'; readonly plantId: PlantId; readonly holderId: HolderId; readonly sharesW: bigint; readonly at: string };

export type PlantSharesState =
  | { readonly status: 'unregistered' }
  | {
      readonly status: 'registered';
      readonly plant: Plant;
      /** Shares in circulation: never above plant.capacityW. */
      readonly issuedW: bigint;
      readonly balances: ReadonlyMap<HolderId, bigint>;
      /** The instant of the plant's last event. */
      readonly changedAt: string;
    };

/**
 * The holders whose balances `decide` reads for a command (and whose balances its events
 * change): a state whose `balances` hold at least these decides the same as the full state.
 * The service keeps a snapshot per plant and loads only these instead of folding the stream.
 */
export function holdersNamedBy(command: PlantSharesCommand): HolderId[] {
  switch (command.type) {
    case 'RegisterPlant':
      return [];
    case 'TransferShares':
      return [command.fromHolderId, command.toHolderId];
    default:
      return [command.holderId];
  }
}

export const plantSharesDecider: Decider<PlantSharesCommand, PlantSharesEvent, PlantSharesState> = {
  initialState: () => ({ status: 'unregistered' }),
  decide: decidePlantShares,
  evolve: evolvePlantShares,
};

function decidePlantShares(command: PlantSharesCommand, state: PlantSharesState): PlantSharesEvent[] {
  switch (command.type) {
    case 'RegisterPlant': {
      if (state.status === 'registered') {
        throw capacityError(CapacityErrorCode.PlantAlreadyRegistered, 'plantId', `plant ${command.plant.plantId} is already registered`);
      }
      return [{ type: 'PlantRegistered', plant: validatePlant(command.plant), at: command.at }];
    }
    case 'IssueShares': {
      const plant = requireRegistered(state, command.plantId);
      requireEntityId('holderId', command.holderId);
      const sharesW = requireWatts('sharesW', command.sharesW);
      const available = plant.plant.capacityW - plant.issuedW;
      if (sharesW > available) {
        throw capacityError(
          CapacityErrorCode.BeyondCapacity,
          'sharesW',
          `issuing ${sharesW} W would exceed the nameplate capacity of ${plant.plant.capacityW} W (${available} W unissued)`,
        );
      }
      return [{ type: 'SharesIssued', plantId: command.plantId, holderId: command.holderId, sharesW, at: effectiveAt(plant, command.at) }];
    }
    case 'TransferShares': {
      const plant = requireRegistered(state, command.plantId);
      requireEntityId('fromHolderId', command.fromHolderId);
      requireEntityId('toHolderId', command.toHolderId);
      if (command.fromHolderId === command.toHolderId) {
        throw capacityError(CapacityErrorCode.SameHolder, 'toHolderId', 'must differ from fromHolderId');
      }
      const sharesW = requireWatts('sharesW', command.sharesW);
      requireBalance(plant, command.fromHolderId, sharesW, 'fromHolderId');
      return [
        {
          type: 'SharesTransferred',
          plantId: command.plantId,
          fromHolderId: command.fromHolderId,
          toHolderId: command.toHolderId,
          sharesW,
          at: effectiveAt(plant, command.at),
        },
      ];
    }
    case 'RetireShares': {
      const plant = requireRegistered(state, command.plantId);
      requireEntityId('holderId', command.holderId);
      const sharesW = requireWatts('sharesW', command.sharesW);
      requireBalance(plant, command.holderId, sharesW, 'holderId');
      return [{ type: 'SharesRetired', plantId: command.plantId, holderId: command.holderId, sharesW, at: effectiveAt(plant, command.at) }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unknown command ${JSON.stringify(unknown)}`);
    }
  }
}

function evolvePlantShares(state: PlantSharesState, event: PlantSharesEvent): PlantSharesState {
  switch (event.type) {
    case 'PlantRegistered':
      return { status: 'registered', plant: event.plant, issuedW: 0n, balances: new Map(), changedAt: event.at };
    case 'SharesIssued': {
      const plant = registeredOrThrow(state, event.type);
      return {
        ...plant,
        issuedW: plant.issuedW + event.sharesW,
        balances: adjust(plant.balances, [[event.holderId, event.sharesW]]),
        changedAt: event.at,
      };
    }
    case 'SharesTransferred': {
      const plant = registeredOrThrow(state, event.type);
      return {
        ...plant,
        changedAt: event.at,
        balances: adjust(plant.balances, [
          [event.fromHolderId, -event.sharesW],
          [event.toHolderId, event.sharesW],
        ]),
      };
    }
    case 'SharesRetired': {
      const plant = registeredOrThrow(state, event.type);
      return {
        ...plant,
        issuedW: plant.issuedW - event.sharesW,
        balances: adjust(plant.balances, [[event.holderId, -event.sharesW]]),
        changedAt: event.at,
      };
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown event ${JSON.stringify(unknown)}`);
    }
  }
}

/** The holders whose balance an event changes, with their new balances. */
export function balanceChanges(state: PlantSharesState, event: PlantSharesEvent): Array<[HolderId, bigint]> {
  const next = evolvePlantShares(state, event);
  if (next.status !== 'registered') return [];
  const holders =
    event.type === 'SharesTransferred' ? [event.fromHolderId, event.toHolderId] : event.type === 'PlantRegistered' ? [] : [event.holderId];
  return holders.map((holderId) => [holderId, next.balances.get(holderId) ?? 0n]);
}

export type RegisteredPlant = Extract<PlantSharesState, { status: 'registered' }>;

function requireRegistered(state: PlantSharesState, plantId: PlantId): RegisteredPlant {
  if (state.status !== 'registered' || state.plant.plantId !== plantId) throw plantNotRegistered(plantId);
  return state;
}

/** The command's instant, or the plant's last change if that is later. */
function effectiveAt(plant: RegisteredPlant, at: string): string {
  return Date.parse(at) < Date.parse(plant.changedAt) ? plant.changedAt : at;
}

function requireBalance(plant: RegisteredPlant, holderId: HolderId, sharesW: bigint, field: string): void {
  const balance = plant.balances.get(holderId) ?? 0n;
  if (balance < sharesW) {
    throw capacityError(
      CapacityErrorCode.InsufficientShares,
      'sharesW',
      `${field} ${holderId} holds ${balance} W of plant ${plant.plant.plantId}, fewer than ${sharesW} W`,
    );
  }
}

function registeredOrThrow(state: PlantSharesState, eventType: string): RegisteredPlant {
  if (state.status !== 'registered') throw new Error(`${eventType} before PlantRegistered`);
  return state;
}

function adjust(balances: ReadonlyMap<HolderId, bigint>, deltas: Array<[HolderId, bigint]>): ReadonlyMap<HolderId, bigint> {
  const next = new Map(balances);
  for (const [holderId, delta] of deltas) {
    const value = (next.get(holderId) ?? 0n) + delta;
    if (value === 0n) next.delete(holderId);
    else next.set(holderId, value);
  }
  return next;
}
