/** Why a capacity command was refused. One error class, one code per reason. */
export enum CapacityErrorCode {
  InvalidField = 'INVALID_FIELD',
  PlantAlreadyRegistered = 'PLANT_ALREADY_REGISTERED',
  PlantNotRegistered = 'PLANT_NOT_REGISTERED',
  BeyondCapacity = 'BEYOND_CAPACITY',
  InsufficientShares = 'INSUFFICIENT_SHARES',
  SameHolder = 'SAME_HOLDER',
  HolderAlreadyRegistered = 'HOLDER_ALREADY_REGISTERED',
  HolderNotRegistered = 'HOLDER_NOT_REGISTERED',
}

export class CapacityError extends Error {
  constructor(
    readonly code: CapacityErrorCode,
    /** The offending field, e.g. `sharesW`. */
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'CapacityError';
  }
}

export function invalidField(field: string, reason: string): CapacityError {
  return new CapacityError(CapacityErrorCode.InvalidField, field, reason);
}
