import { DomainError } from '@gridledger/domain';
import { BatchFormatError, BatchSignatureError, jsonBatchDigest, parseReadingBatch, verifyBatchSignature, type BatchLimits } from '@gridledger/metering';
import { type IntakeSource, type VerifiedSubmission } from './intake.types';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes → text, refusing broken UTF-8 rather than guessing. */
export function decodeUtf8(raw: Buffer, field = '(body)'): string {
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

/**
 * The JSON door (HTTP body or NATS request payload): parse the envelope, take the digest of
 * the canonical body and check the MPO's signature over it. Refusals name the field.
 */
export function verifyJsonSubmission(raw: Buffer, source: IntakeSource, limits: BatchLimits): VerifiedSubmission {
  const { body, text } = parseJsonText(raw);
  let batch;
  try {
    batch = parseReadingBatch(body, limits);
  } catch (error) {
    if (error instanceof BatchFormatError) throw new DomainError('invalid', 'MALFORMED_BATCH', error.field, error.reason);
    throw error;
  }
  const record = body as Record<string, unknown>;
  const batchId = jsonBatchDigest(record);
  try {
    verifyBatchSignature('readings-json', batchId, record.signature, batch.mpo);
  } catch (error) {
    if (error instanceof BatchSignatureError) throw new DomainError('unauthenticated', 'BAD_SIGNATURE', 'signature', error.message);
    throw error;
  }
  return {
    format: 'readings-json',
    source,
    batchId,
    mpo: batch.mpo,
    signature: record.signature as string,
    bodyText: text,
    bodyEncoding: 'utf-8',
    periodLength: batch.periodLength,
    intervals: batch.intervals,
    readings: batch.readings,
    rejections: batch.rejections,
    entryCount: batch.entryCount,
    notes: [],
  };
}
