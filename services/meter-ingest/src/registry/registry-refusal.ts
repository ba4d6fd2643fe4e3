import { DomainError } from '@gridledger/domain';
import { PROBLEM_STATUS } from '@gridledger/service-kit';

/** Several commands refused together (nothing of the request applied): one refusal listing each, of the gravest kind. */
export function registryRefusal(refusals: readonly DomainError[]): DomainError {
  const gravest = refusals.reduce((worst, next) => (PROBLEM_STATUS[next.kind] > PROBLEM_STATUS[worst.kind] ? next : worst));
  return DomainError.many(gravest.kind, [...gravest.errors, ...refusals.filter((r) => r !== gravest).flatMap((r) => r.errors)]);
}
