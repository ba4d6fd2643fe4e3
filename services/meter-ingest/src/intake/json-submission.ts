import { isAscii } from 'node:buffer';
import { DomainError } from '@gridledger/domain';
import { BatchFormatError, parseReadingBatch, scanIntervalBatch, type BatchLimits, type ReadingBatch } from '@gridledger/metering';
import { type IntakeSource, type SignedBatch, type VerifiedSubmission } from './intake.types';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → text, refusing broken UTF-8 rather than guessing. */
export function decodeUtf8(raw: Buffer, field = '(body)'): string {
  // ASCII (what head-ends send) is valid UTF-8 as it is: checked and copied for a tenth of
  // the validating decoder's cost (measured: 0.2–2 ms against 4–5 ms per megabyte).
  if (isAscii(raw)) return raw.toString('ascii');
  try {
    return utf8.decode(raw);
  } catch {
    throw new DomainError('invalid', 'MALFORMED_BODY', field, 'body is not valid UTF-8');
  }
}

export function parseJsonBody(raw: Buffer): unknown {
  return parseJsonText(raw).body;
}

export function parseJsonText(raw: Buffer): { body: unknown; text: string } {
  if (raw.length === 0) throw new DomainError('invalid', 'MALFORMED_BODY', '(body)', 'body is empty; send a JSON batch');
  const text = decodeUtf8(raw);
  try {
    return { body: JSON.parse(text), text };
  } catch (error) {
    throw new DomainError('invalid', 'MALFORMED_BODY', '(body)', `body is not valid JSON: ${(error as Error).message.slice(0, 160)}`);
  }
}

function parseBatch(raw: Buffer, limits: BatchLimits): ReadingBatch {
  const { body } = parseJsonText(raw);
  try {
    return parseReadingBatch(body, limits);
  } catch (error) {
    if (error instanceof BatchFormatError) throw new DomainError('invalid', 'MALFORMED_BATCH', error.field, error.reason);
    throw error;
  }
}

/**
 * The JSON door (HTTP body or NATS request payload), after its signed request was verified
 * over the exact bytes (`signed`: the signer is the MPO, the body's SHA-256 the batch id):
 * parse the envelope. Refusals name the field.
 */
export function verifyJsonSubmission(raw: Buffer, source: IntakeSource, limits: BatchLimits, signed: SignedBatch): VerifiedSubmission {
  // The usual batch (plain interval values, nothing to refuse) is read in one pass over its
  // bytes; anything else is parsed and judged field by field.
  const batch = scanIntervalBatch(raw, limits) ?? parseBatch(raw, limits);
  if (batch.mpo !== null && batch.mpo !== signed.signer) {
    throw new DomainError('forbidden', 'MPO_NOT_SIGNER', 'mpo', `the batch names MPO ${batch.mpo} but was signed by ${signed.signer}; an MPO submits only as itself`);
  }
  return {
    format: 'readings-json',
    source,
    batchId: signed.bodySha256,
    mpo: signed.signer,
    signature: signed.signature,
    signedRequest: signed.request,
    body: raw,
    bodyEncoding: 'utf-8',
    periodLength: batch.periodLength,
    intervals: batch.intervals,
    readings: batch.readings,
    rejections: batch.rejections,
    entryCount: batch.entryCount,
    notes: [],
  };
}
