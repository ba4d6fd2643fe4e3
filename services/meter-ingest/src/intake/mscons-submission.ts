import { DomainError, isPeriodLength, type PeriodLength } from '@gridledger/domain';
import {
  MsconsError,
  parseMscons,
  rejection,
  type BatchLimits,
  type IntervalValue,
  type MsconsInterchange,
  type QuarantineCode,
  type Rejection,
  type RejectionCode,
} from '@gridledger/metering';
import { type IntakeSource, type SignedBatch, type VerifiedSubmission } from './intake.types';

/**
 * The MSCONS door (HTTP upload): a signed request whose signer is the MPO, the body the file's
 * bytes (their SHA-256 is the batch id) and the period length in the signed query
 * (`POST /mscons?periodLength=PT60M`); the file is then parsed into interval values.
 * Quarantined values and rejected messages become rejections, realigned values notes.
 */
export interface MsconsUpload {
  readonly raw: Buffer;
  /** From the signed query; PT15M when absent. */
  readonly periodLength?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

const QUARANTINE_CODES: Record<QuarantineCode, RejectionCode> = {
  START_NOT_ALIGNED: 'IRREGULAR_INTERVAL',
  END_NOT_AFTER_START: 'IRREGULAR_INTERVAL',
  SPANS_SEVERAL_PERIODS: 'IRREGULAR_INTERVAL',
  IRREGULAR_RUN: 'IRREGULAR_INTERVAL',
  DUPLICATE_PERIOD: 'CONFLICTING_DUPLICATE',
  CONFLICTING_DUPLICATE: 'CONFLICTING_DUPLICATE',
  UNSUPPORTED_QUALIFIER: 'MALFORMED_ENTRY',
  NEGATIVE_ENERGY: 'MALFORMED_NUMBER',
};

/**
 * EDIFACT text: UTF-8 when the bytes are UTF-8; ISO 8859-1 only when the interchange
 * declares a Latin-1 syntax (UNOA…UNOD, where every byte is a character). Anything else is
 * refused rather than guessed.
 */
export function decodeEdifact(raw: Buffer): { text: string; encoding: 'utf-8' | 'latin1' } {
  try {
    return { text: utf8.decode(raw), encoding: 'utf-8' };
  } catch {
    const head = latin1.decode(raw.subarray(0, 64));
    if (/^(UNA.{6})?\s*UNB.UNO[ABCD]/s.test(head)) return { text: latin1.decode(raw), encoding: 'latin1' };
    throw new DomainError('invalid', 'MALFORMED_BODY', '(body)', 'body is neither UTF-8 nor an interchange declaring ISO 8859-1 (UNOA to UNOD)');
  }
}

export function verifyMsconsSubmission(upload: MsconsUpload, source: IntakeSource, limits: BatchLimits, signed: SignedBatch): VerifiedSubmission {
  const { raw } = upload;
  if (raw.length === 0) throw new DomainError('invalid', 'MALFORMED_BODY', '(body)', 'body is empty; send the EDIFACT interchange as text');
  const periodLength = upload.periodLength ?? 'PT15M';
  if (!isPeriodLength(periodLength)) throw new DomainError('invalid', 'MALFORMED_BATCH', 'periodLength', 'must be PT15M or PT60M');
  let interchange: MsconsInterchange;
  const decoded = decodeEdifact(raw);
  try {
    interchange = parseMscons(decoded.text, { periodLength });
  } catch (error) {
    if (error instanceof MsconsError) {
      const where = error.segment ? `segment ${error.segment.number} (${error.segment.tag})` : '(interchange)';
      throw new DomainError('invalid', `MSCONS_${error.code}`, error.field ? `${where} ${error.field}` : where, error.reason);
    }
    throw error;
  }
  return { ...toValues(interchange, periodLength, limits), format: 'mscons', source, batchId: signed.bodySha256, mpo: signed.signer, signature: signed.signature, signedRequest: signed.request, body: decoded.text, bodyEncoding: decoded.encoding, periodLength };
}

function toValues(interchange: MsconsInterchange, _periodLength: PeriodLength, limits: BatchLimits) {
  const intervals: IntervalValue[] = [];
  const rejections: Rejection[] = [];
  const notes: string[] = [];
  for (const rejected of interchange.rejectedMessages) {
    rejections.push(rejection('MALFORMED_ENTRY', null, `message ${rejected.reference ?? '?'} (segment ${rejected.segmentNumber})`, rejected.error.code, rejected.error.message));
  }
  for (const message of interchange.messages) {
    for (const location of message.locations) {
      for (const value of location.intervals) {
        intervals.push({
          index: intervals.length,
          meterId: location.meterId,
          periodId: value.periodId,
          periodStartMs: value.periodStartMs,
          energyWh: value.energyWh,
          quality: value.quality,
          path: `QTY segment ${value.segmentNumber}`,
        });
      }
      for (const moved of location.realigned) notes.push(`realigned QTY segment ${moved.segmentNumber} of ${location.meterId} (${moved.statedStart}–${moved.statedEnd}) to ${moved.periodId}: ${moved.reason}`);
      for (const held of location.quarantined) {
        rejections.push(rejection(QUARANTINE_CODES[held.code], location.meterId, `QTY segment ${held.segmentNumber}`, `${held.energyWh} Wh ${held.statedStart}–${held.statedEnd}`, `quarantined (${held.code}): ${held.reason}`));
      }
    }
  }
  if (intervals.length > limits.maxEntries) throw new DomainError('too-large', 'TOO_MANY_VALUES', '(body)', `at most ${limits.maxEntries} values per upload; split the interchange`);
  return { intervals, readings: [], rejections, notes, entryCount: intervals.length + rejections.length };
}
