import { DomainError, type DomainErrorKind } from '@gridledger/domain';

/** Why a capacity command was refused: the `code` of the DomainError it throws. */
export const CapacityErrorCode = {
  InvalidField: 'INVALID_FIELD',
  PlantAlreadyRegistered: 'PLANT_ALREADY_REGISTERED',
  PlantNotRegistered: 'PLANT_NOT_REGISTERED',
  BeyondCapacity: 'BEYOND_CAPACITY',
  InsufficientShares: 'INSUFFICIENT_SHARES',
  SameHolder: 'SAME_HOLDER',
  HolderAlreadyRegistered: 'HOLDER_ALREADY_REGISTERED',
  HolderNotRegistered: 'HOLDER_NOT_REGISTERED',
} as const;
export type CapacityErrorCode = (typeof CapacityErrorCode)[keyof typeof CapacityErrorCode];

const KIND: Record<CapacityErrorCode, DomainErrorKind> = {
  INVALID_FIELD: 'invalid',
  SAME_HOLDER: 'invalid',
  PLANT_NOT_REGISTERED: 'not-found',
  HOLDER_NOT_REGISTERED: 'not-found',
  PLANT_ALREADY_REGISTERED: 'conflict',
  HOLDER_ALREADY_REGISTERED: 'conflict',
  BEYOND_CAPACITY: 'unprocessable',
  INSUFFICIENT_SHARES: 'unprocessable',
};

/** A refused capacity command; the kind follows from the code. */
export function capacityError(code: CapacityErrorCode, field: string, reason: string): DomainError {
  return new DomainError(KIND[code], code, field, reason);
}

export function invalidField(field: string, reason: string): DomainError {
  return capacityError(CapacityErrorCode.InvalidField, field, reason);
}

export function plantNotRegistered(plantId: string): DomainError {
  return capacityError(CapacityErrorCode.PlantNotRegistered, 'plantId', `plant ${plantId} is not registered`);
}

export function holderNotRegistered(holderId: string, field = 'holderId'): DomainError {
  return capacityError(CapacityErrorCode.HolderNotRegistered, field, `holder ${holderId} is not registered`);
}
