import { timingSafeEqual, createHash } from 'node:crypto';
import { BatchSignatureError, checksumAddress, isPlainObject, jsonBatchDigest, verifyBatchSignature, BatchFormatError, type Requester } from '@gridledger/metering';
import { DomainError } from '@gridledger/domain';

/**
 * Who may change the registry: the operator, with the token from config
 * (`Authorization: Bearer <METER_INGEST_OPERATOR_TOKEN>`), or an MPO for its own meters,
 * proven by an EIP-712 signature (format `registry-json`) over the canonical JSON of
 * `{ action, meterId?, ...body }` without the signature. Binding action and meter id stops a
 * signed change from being replayed against another meter or as another action.
 */
export type RegistryAction = 'register' | 'change' | 'retire';

export interface AuthorisedRequest {
  readonly requester: Requester;
  /** The body without `mpo` and `signature`. */
  readonly body: Record<string, unknown>;
}

export function authoriseRegistryRequest(
  authorization: string | undefined,
  body: unknown,
  action: RegistryAction,
  meterId: string | null,
  operatorToken: string | undefined,
): AuthorisedRequest {
  if (!isPlainObject(body)) throw new DomainError('invalid', 'MALFORMED_BODY', '(body)', 'body must be a JSON object');
  const { mpo, signature, ...rest } = body;
  if (authorization !== undefined) {
    const match = /^Bearer (.+)$/.exec(authorization);
    if (!match || operatorToken === undefined || !sameSecret(match[1], operatorToken)) {
      throw new DomainError('unauthenticated', 'BAD_OPERATOR_TOKEN', 'authorization', 'the bearer token is not the operator token');
    }
    return { requester: { kind: 'operator' }, body: rest };
  }
  if (signature === undefined) {
    throw new DomainError('unauthenticated', 'UNAUTHENTICATED', 'signature', 'registry changes need the operator token or the MPO signature (mpo and signature fields)');
  }
  let address: string;
  try {
    address = checksumAddress(mpo, 'mpo');
  } catch (error) {
    if (error instanceof BatchFormatError) throw new DomainError('invalid', 'MALFORMED_BODY', 'mpo', error.reason);
    throw error;
  }
  const digest = jsonBatchDigest({ action, ...(meterId === null ? {} : { meterId }), ...rest, mpo });
  try {
    verifyBatchSignature('registry-json', digest, signature, address);
  } catch (error) {
    if (error instanceof BatchSignatureError) throw new DomainError('unauthenticated', 'BAD_SIGNATURE', 'signature', error.message);
    throw error;
  }
  return { requester: { kind: 'mpo', address }, body: rest };
}

/** Constant-time comparison of two secrets of any length. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
