import { BatchFormatError, BatchSignatureError, checksumAddress, fileDigest, verifyBatchSignature, type BatchLimits } from '@gridledger/metering';
import { IntakeRefusal, type IntakeSource, type VerifiedSubmission } from './intake.types';
import { decodeUtf8 } from './json-submission';

/**
 * The MSCONS door: the MPO names itself and signs the keccak256 of the file's bytes
 * (EIP-712, format `mscons`); the file is then parsed into interval values.
 */
export function verifyMsconsSubmission(raw: Buffer, mpoHeader: string | undefined, signature: string | undefined, _source: IntakeSource, _limits: BatchLimits): VerifiedSubmission {
  if (raw.length === 0) throw new IntakeRefusal(400, 'MALFORMED_BODY', '(body)', 'body is empty; send the EDIFACT interchange as text');
  let mpo: string;
  try {
    mpo = checksumAddress(mpoHeader, 'x-mpo-address');
  } catch (error) {
    if (error instanceof BatchFormatError) throw new IntakeRefusal(401, 'UNAUTHENTICATED', 'x-mpo-address', error.reason);
    throw error;
  }
  const batchId = fileDigest(raw);
  try {
    verifyBatchSignature('mscons', batchId, signature, mpo);
  } catch (error) {
    if (error instanceof BatchSignatureError) throw new IntakeRefusal(401, 'BAD_SIGNATURE', 'x-mpo-signature', error.message);
    throw error;
  }
  decodeUtf8(raw);
  throw new IntakeRefusal(400, 'MSCONS_UNAVAILABLE', '(body)', 'the MSCONS parser is not available yet');
}
