import { invalidField } from './capacity.errors';
import { HolderId, PlantId, PlantKind, requireAddress, requireEntityId, requireGroupId, requireMeterId, requirePlantKind, requireWatts } from './ids';

/**
 * A renewable plant whose capacity is sold in shares of W. The capacity fee is in cents per
 * MW of shares per period (like prices per MWh), so a realistic fee of about 100 €/kW a year
 * is a whole number (≈285 cents/MW per quarter hour); a holder's fee is rounded once.
 */
export interface Plant {
  readonly plantId: PlantId;
  readonly kind: PlantKind;
  /** The production meter whose measured output is shared out. */
  readonly meterId: string;
  readonly capacityW: bigint;
  /** The operator's address: receives fees and the unsold capacity's part of the output. */
  readonly operator: string;
  readonly groupId: string;
  readonly feePerMWPeriodCents: bigint;
}

/** A capacity holder: a consumer with a consumption meter in a balancing group. */
export interface Holder {
  readonly holderId: HolderId;
  readonly consumptionMeterId: string;
  readonly groupId: string;
}

export function validatePlant(input: Plant): Plant {
  requireEntityId('plantId', input.plantId);
  requirePlantKind('kind', input.kind);
  requireMeterId('meterId', input.meterId);
  requireWatts('capacityW', input.capacityW);
  requireAddress('operator', input.operator);
  requireGroupId('groupId', input.groupId);
  if (typeof input.feePerMWPeriodCents !== 'bigint' || input.feePerMWPeriodCents < 0n) {
    throw invalidField('feePerMWPeriodCents', 'must be a non-negative integer number of cents');
  }
  return input;
}

export function validateHolder(input: Holder): Holder {
  requireEntityId('holderId', input.holderId);
  requireMeterId('consumptionMeterId', input.consumptionMeterId);
  requireGroupId('groupId', input.groupId);
  return input;
}
