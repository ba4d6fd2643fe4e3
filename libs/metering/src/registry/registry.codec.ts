import { versionFromJson, versionToStoredJson, type StoredMeterPointVersionJson } from './registry.commands';
import type { RegistryEvent } from './registry.types';

/** Registry events as stored in the append-only table (JSON, no bigint). */
export type StoredRegistryEvent =
  | { type: 'MeterPointRegistered'; version: StoredMeterPointVersionJson }
  | { type: 'MeterPointChanged'; version: StoredMeterPointVersionJson }
  | { type: 'MeterPointRetired'; meterId: string; retiredAt: string };

export function encodeRegistryEvent(event: RegistryEvent): StoredRegistryEvent {
  switch (event.type) {
    case 'MeterPointRegistered':
    case 'MeterPointChanged':
      return { type: event.type, version: versionToStoredJson(event.version) };
    case 'MeterPointRetired':
      return { type: event.type, meterId: event.meterId, retiredAt: new Date(event.retiredAtMs).toISOString() };
    default: {
      const unknownEvent: never = event;
      throw new RangeError(`unknown event ${JSON.stringify(unknownEvent)}`);
    }
  }
}

export function decodeRegistryEvent(stored: StoredRegistryEvent): RegistryEvent {
  switch (stored.type) {
    case 'MeterPointRegistered':
    case 'MeterPointChanged':
      return { type: stored.type, version: versionFromJson(stored.version) };
    case 'MeterPointRetired':
      return { type: stored.type, meterId: stored.meterId, retiredAtMs: Date.parse(stored.retiredAt) };
    default: {
      const unknownEvent: never = stored;
      throw new RangeError(`unknown stored event ${JSON.stringify(unknownEvent)}`);
    }
  }
}
