import { DomainError, type DomainErrorKind } from '@gridledger/domain';
import { RegistryError } from '@gridledger/metering';
import { PROBLEM_STATUS } from '@gridledger/service-kit';

// Until the registry decider refuses with DomainError itself: the kind of each of its codes.
const REGISTRY_KIND: Record<RegistryError['code'], DomainErrorKind> = {
  MALFORMED_COMMAND: 'invalid',
  NOT_AT_PERIOD_BOUNDARY: 'invalid',
  NOTHING_CHANGED: 'invalid',
  NOT_PERMITTED: 'forbidden',
  UNKNOWN_METER: 'not-found',
  ALREADY_REGISTERED: 'conflict',
  METER_RETIRED: 'conflict',
  NOT_AFTER_CURRENT_VERSION: 'conflict',
};

/** One registry refusal as the domain's error; the meter it concerns leads the reason. */
export function registryDomainError(error: RegistryError | DomainError): DomainError {
  if (error instanceof DomainError) return error;
  const reason = error.meterId === null || error.field.includes(error.meterId) ? error.reason : `meter ${error.meterId}: ${error.reason}`;
  return new DomainError(REGISTRY_KIND[error.code], error.code, error.field, reason);
}

/** Several commands refused together (nothing of the request applied): one refusal listing each, of the gravest kind. */
export function registryRefusal(errors: readonly (RegistryError | DomainError)[]): DomainError {
  const refusals = errors.map(registryDomainError);
  const gravest = refusals.reduce((worst, next) => (PROBLEM_STATUS[next.kind] > PROBLEM_STATUS[worst.kind] ? next : worst));
  return DomainError.many(gravest.kind, [...gravest.errors, ...refusals.filter((r) => r !== gravest).flatMap((r) => r.errors)]);
}
