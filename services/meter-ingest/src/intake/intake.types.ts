import { DomainError, type DomainErrorKind, type PeriodLength } from '@gridledger/domain';
import type { IntervalValue, RegisterReading, Rejection, SignedFormat } from '@gridledger/metering';

/** Where a submission came in: all doors lead to the same pipeline. */
export type IntakeSource = 'http' | 'nats' | 'cli';

/** What the signed request of a batch proved (service-kit's AuthService.verifyWrite). */
export interface SignedBatch {
  readonly signer: string;
  /** SHA-256 of the exact body bytes: the batch id (and the request's nonce). */
  readonly bodySha256: string;
  readonly signature: string;
  /** What else was signed, kept with the batch so anyone can verify the signature later. */
  readonly request: SignedRequestRecord;
}

export interface SignedRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly nonce: string;
  readonly expiry: string;
  readonly chainId: string;
  readonly verifyingContract: string;
}

/** A submission whose signature checked out and whose envelope parsed. */
export interface VerifiedSubmission {
  readonly format: SignedFormat;
  readonly source: IntakeSource;
  /** The digest the MPO signed; also the batch id, so a re-send is recognised. */
  readonly batchId: string;
  readonly mpo: string;
  readonly signature: string;
  readonly signedRequest: SignedRequestRecord;
  /**
   * The body as received: the UTF-8 bytes themselves (stored as they are, Postgres checks
   * them as text), or decoded text whose encoding back in `bodyEncoding` gives the signed bytes.
   */
  readonly body: Buffer | string;
  readonly bodyEncoding: 'utf-8' | 'latin1';
  readonly periodLength: PeriodLength;
  readonly intervals: readonly IntervalValue[];
  readonly readings: readonly RegisterReading[];
  /** Entries refused while parsing. */
  readonly rejections: readonly Rejection[];
  readonly entryCount: number;
  /** What the door did on its own (e.g. MSCONS intervals realigned or quarantined). */
  readonly notes: readonly string[];
}

export interface IntakeAnswer {
  readonly batchId: string;
  readonly status: 'accepted' | 'partially-accepted' | 'rejected';
  readonly mpo: string;
  readonly receivedAt: string;
  readonly entries: number;
  /** Values stored and published by this batch. */
  readonly accepted: number;
  /** Values already stored with the same content: a no-op. */
  readonly duplicates: number;
  readonly rejected: number;
  readonly groups: readonly { readonly groupId: string; readonly intervals: number }[];
  readonly rejections: readonly Rejection[];
  readonly notes: readonly string[];
}

/**
 * The whole submission is refused and nothing is written; the values that made it so follow
 * the refusal itself as field errors (code, field, and the reason led by the meter it concerns).
 */
export function refusalListing(kind: DomainErrorKind, code: string, field: string, reason: string, rejections: readonly Rejection[]): DomainError {
  return new DomainError(
    kind,
    code,
    field,
    reason,
    rejections.map((rejection) => ({ field: rejection.field, code: rejection.code, reason: rejection.meterId === null ? rejection.reason : `meter ${rejection.meterId}: ${rejection.reason}` })),
  );
}
