import type { HolderEvent } from './holder.decider';
import type { PlantSharesEvent } from './plant-shares.decider';

/** An event as stored in the event store's JSON: every bigint as a decimal string. */
export type Stored<T> = T extends bigint ? string : T extends object ? { readonly [K in keyof T]: Stored<T[K]> } : T;

export type CapacityEvent = PlantSharesEvent | HolderEvent;

/** The event as JSON text for the store (decoded by the decode function of its stream). */
export function encodeCapacityEvent(event: CapacityEvent): string {
  return JSON.stringify(event, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

export function decodePlantSharesEvent(stored: Stored<PlantSharesEvent>): PlantSharesEvent {
  switch (stored.type) {
    case 'PlantRegistered':
      return { ...stored, plant: { ...stored.plant, capacityW: BigInt(stored.plant.capacityW), feePerMWPeriodCents: BigInt(stored.plant.feePerMWPeriodCents) } };
    case 'SharesIssued':
    case 'SharesTransferred':
    case 'SharesRetired':
      return { ...stored, sharesW: BigInt(stored.sharesW) };
    default: {
      const unknown: never = stored;
      throw new RangeError(`unknown stored plant event ${JSON.stringify(unknown)}`);
    }
  }
}

export function decodeHolderEvent(stored: Stored<HolderEvent>): HolderEvent {
  switch (stored.type) {
    case 'HolderRegistered':
      return stored;
    default: {
      const unknown: never = stored.type;
      throw new RangeError(`unknown stored holder event ${String(unknown)}`);
    }
  }
}
