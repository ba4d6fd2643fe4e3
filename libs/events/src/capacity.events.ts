import { z } from 'zod';
import { defineEvent } from './define-event';
import { groupIdString, meterPointIdString, minorUnitsString, periodIdString, whString } from './wire';

/** Events published by the capacity domain (capacity-market). See define-event.ts. */

const holderIdString = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$/, 'must be a holder id');
const plantIdString = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$/, 'must be a plant id');
const periodLengthSchema = z.enum(['PT15M', 'PT60M']);
const wattsString = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a non-negative integer number of W as a decimal string');

/** One holder's share of one plant's output in the period. */
const plantAllocationSchema = z.object({
  plantId: plantIdString,
  sharesW: wattsString,
  allocatedWh: whString,
}).strict();

/**
 * One holder's netting in the period: consumption is covered first by the allocations;
 * residualWh = max(0, consumed − allocated) is bought, surplusWh = max(0, allocated − consumed)
 * is sold, both at the period's energy price.
 */
const holderRowSchema = z.object({
  holderId: holderIdString,
  groupId: groupIdString,
  consumptionMeterId: meterPointIdString,
  allocatedWh: whString,
  consumedWh: whString,
  residualWh: whString,
  surplusWh: whString,
  capacityFeeCents: minorUnitsString,
  residualCostCents: minorUnitsString,
  surplusRevenueCents: minorUnitsString,
  plants: z.array(plantAllocationSchema),
}).strict();

/** One plant's output in the period; operatorWh is the unsold capacity's part. */
const plantRowSchema = z.object({
  plantId: plantIdString,
  meterId: meterPointIdString,
  groupId: groupIdString,
  capacityW: wattsString,
  issuedW: wattsString,
  outputWh: whString,
  allocatedToHoldersWh: whString,
  operatorWh: whString,
}).strict();

/**
 * A period's allocation and netting, version n. A period is published in parts (at most a
 * few thousand rows each, so a message stays well under the NATS payload limit); parts of
 * one version share periodId and version, and `partCount`, `holderCount` and `plantCount`
 * let a consumer tell when it has all of them. A later version supersedes the earlier one
 * as a whole (late meter value or price → recomputation). Id: (periodId, version, part).
 */
export const CapacityAllocationComputed = defineEvent({
  type: 'capacity.allocation.computed',
  schemaVersion: 1,
  domain: 'capacity',
  entity: 'allocation',
  pastTense: 'computed',
  keyed: false,
  schema: z.object({
    periodId: periodIdString,
    periodLength: periodLengthSchema,
    version: z.number().int().positive(),
    part: z.number().int().nonnegative(),
    partCount: z.number().int().positive(),
    holderCount: z.number().int().nonnegative(),
    plantCount: z.number().int().nonnegative(),
    /** Cents per MWh, the period's energy-only price used for residual and surplus. */
    energyPricePerMWh: minorUnitsString,
    plants: z.array(plantRowSchema),
    holders: z.array(holderRowSchema),
  }).strict(),
});

/**
 * Energy delivered from one balancing group to another in a period because capacity holders
 * in `toGroup` hold shares of plants in `fromGroup`: the sum of those allocations (pairs are
 * directed, never netted). Balancing takes it as a schedule: an export (−energyWh) in
 * fromGroup's net position and an import (+energyWh) in toGroup's.
 *
 * One event per (periodId, fromGroup, toGroup, version); id from exactly those parts. The
 * highest version per (periodId, fromGroup, toGroup) is the one that counts. When a later
 * version of a period no longer has a pair that an earlier one had, that pair is published
 * again with energyWh "0", so each pair's latest event is always its current schedule.
 */
export const CapacityExchangeScheduled = defineEvent({
  type: 'capacity.exchange.scheduled',
  schemaVersion: 1,
  domain: 'capacity',
  entity: 'exchange',
  pastTense: 'scheduled',
  keyed: false,
  schema: z
    .object({
      periodId: periodIdString,
      periodLength: periodLengthSchema,
      version: z.number().int().positive(),
      fromGroup: groupIdString,
      toGroup: groupIdString,
      energyWh: whString.refine((value) => !value.startsWith('-'), 'must not be negative'),
    })
    .strict()
    .refine((data) => data.fromGroup !== data.toGroup, { message: 'fromGroup and toGroup must differ', path: ['toGroup'] }),
});

const instant = z.string().datetime({ offset: false });
const sharesW = wattsString.refine((value) => value !== '0', 'must be positive');

/** The share-registry events of capacity-market's event store, as stored (bigints as decimal strings). */
const shareRegistryEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('PlantRegistered'),
    plant: z.object({
      plantId: plantIdString,
      kind: z.enum(['pv', 'wind', 'hydro']),
      meterId: meterPointIdString,
      capacityW: wattsString,
      operator: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte hex address'),
      groupId: groupIdString,
      feePerMWPeriodCents: wattsString,
    }).strict(),
    at: instant,
  }).strict(),
  z.object({ type: z.literal('SharesIssued'), plantId: plantIdString, holderId: holderIdString, sharesW, at: instant }).strict(),
  z.object({ type: z.literal('SharesTransferred'), plantId: plantIdString, fromHolderId: holderIdString, toHolderId: holderIdString, sharesW, at: instant }).strict(),
  z.object({ type: z.literal('SharesRetired'), plantId: plantIdString, holderId: holderIdString, sharesW, at: instant }).strict(),
  z.object({
    type: z.literal('HolderRegistered'),
    holder: z.object({ holderId: holderIdString, consumptionMeterId: meterPointIdString, groupId: groupIdString }).strict(),
    at: instant,
  }).strict(),
]);

/**
 * One event appended to capacity-market's event store (the share registry: plants, holders,
 * issues, transfers, retirements), published through its outbox in the append's transaction.
 * `streamId` (`plant:<id>` | `holder:<id>`) and `streamVersion` are its place in the store, so
 * a capacity-market on an empty database rebuilds the store from the CAPACITY stream exactly
 * (docs/integrity.md, "Rebuild from the log"). Id: (streamId, streamVersion).
 */
export const CapacitySharesRecorded = defineEvent({
  type: 'capacity.shares.recorded',
  schemaVersion: 1,
  domain: 'capacity',
  entity: 'shares',
  pastTense: 'recorded',
  keyed: false,
  schema: z
    .object({
      streamId: z.string().regex(/^(plant|holder):[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$/, 'must be plant:<plantId> or holder:<holderId>'),
      streamVersion: z.number().int().positive(),
      event: shareRegistryEventSchema,
    })
    .strict()
    .refine((data) => data.streamId.startsWith(data.event.type === 'HolderRegistered' ? 'holder:' : 'plant:'), { message: 'a holder event belongs to a holder stream, a plant event to a plant stream', path: ['streamId'] }),
});
