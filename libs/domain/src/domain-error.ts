/**
 * The one error type of the domain: why a command or an input was refused, naming the field.
 * Adapters map `kind` to their protocol (HTTP status, dead-letter reason); `code` is a stable
 * machine-readable word (`BEYOND_CAPACITY`), `reason` a sentence for a person.
 */
export type DomainErrorKind =
  /** the input is malformed or out of bounds (HTTP 400) */
  | 'invalid'
  /** no or an unverifiable identity (401) */
  | 'unauthenticated'
  /** an identity without the role for this scope (403) */
  | 'forbidden'
  /** the thing named does not exist (404) */
  | 'not-found'
  /** the thing exists in a state that refuses this (409) */
  | 'conflict'
  /** well-formed, but the rules refuse it (422) */
  | 'unprocessable'
  /** the input is larger than allowed (413) */
  | 'too-large';

export interface FieldError {
  readonly field: string;
  readonly code: string;
  readonly reason: string;
}

/** Longest reason kept: a refusal never carries unbounded user text. */
export const MAX_REASON_LENGTH = 500;

export class DomainError extends Error {
  /** Every field error; the first is the one this error is named after. */
  readonly errors: readonly FieldError[];

  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    readonly field: string,
    readonly reason: string,
    more: readonly FieldError[] = [],
  ) {
    const bounded = boundReason(reason);
    super(`${field}: ${bounded}`);
    this.name = 'DomainError';
    this.reason = bounded;
    this.errors = [{ field, code, reason: bounded }, ...more.map((error) => ({ ...error, reason: boundReason(error.reason) }))];
  }

  /** Several refusals at once (a batch); the error takes the code of the first. */
  static many(kind: DomainErrorKind, errors: readonly FieldError[]): DomainError {
    if (errors.length === 0) throw new RangeError('DomainError.many needs at least one field error');
    const [first, ...rest] = errors;
    return new DomainError(kind, first.code, first.field, first.reason, rest);
  }

  static invalid(field: string, reason: string, code = 'INVALID_FIELD'): DomainError {
    return new DomainError('invalid', code, field, reason);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

function boundReason(reason: string): string {
  return reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH - 1)}…`;
}
