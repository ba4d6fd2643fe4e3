import { createHash } from 'node:crypto';
import { Signature, TypedDataEncoder, getAddress, isHexString, verifyTypedData, type TypedDataDomain, type TypedDataField } from 'ethers';
import { canonicalJson, withoutSignature } from '../intake/canonical-json';

/**
 * Authenticity of MPO submissions: the MPO signs EIP-712 typed data over the digest of what
 * it sends. One signature per batch (not per value) keeps verification off the hot path.
 * `format` is signed as well, so a digest signed for one door cannot be replayed at another.
 */
export type SignedFormat = 'readings-json' | 'mscons' | 'registry-json';

export const METER_BATCH_DOMAIN: TypedDataDomain = { name: 'gridledger meter-ingest', version: '1' };
export const METER_BATCH_TYPES: Record<string, TypedDataField[]> = {
  MeterBatch: [
    { name: 'format', type: 'string' },
    { name: 'digest', type: 'bytes32' },
  ],
};

export type SignatureProblem = 'malformed-signature' | 'unrecoverable-signature' | 'signer-mismatch';

export class BatchSignatureError extends Error {
  constructor(
    readonly problem: SignatureProblem,
    reason: string,
  ) {
    super(reason);
    this.name = 'BatchSignatureError';
  }
}

/**
 * SHA-256 of the canonical JSON (UTF-8) of the body without its `signature`, as 0x-hex
 * bytes32. SHA-256 rather than keccak256: Node hashes it natively, fifty times faster than
 * keccak in JavaScript, which matters for megabyte batches; EIP-712 signs any bytes32.
 */
export function jsonBatchDigest(body: Record<string, unknown>): string {
  return sha256Hex(canonicalJson(withoutSignature(body)));
}

/** SHA-256 of the raw bytes of an uploaded file, as 0x-hex bytes32. */
export function fileDigest(bytes: Uint8Array): string {
  return sha256Hex(bytes);
}

function sha256Hex(data: string | Uint8Array): string {
  return `0x${createHash('sha256').update(data).digest('hex')}`;
}

/** The EIP-712 hash a wallet signs (useful for logs and for clients that sign raw hashes). */
export function batchTypedDataHash(format: SignedFormat, digest: string): string {
  return TypedDataEncoder.hash(METER_BATCH_DOMAIN, METER_BATCH_TYPES, { format, digest });
}

/**
 * Recovers the signer and checks it is the claimed MPO. Returns the checksummed address.
 * Throws BatchSignatureError with the reason when the signature is malformed, does not
 * recover, or recovers to someone else (a forgery or a wrong key).
 */
export function verifyBatchSignature(format: SignedFormat, digest: string, signature: unknown, claimedMpo: string): string {
  if (typeof signature !== 'string' || !isHexString(signature, 65)) {
    throw new BatchSignatureError('malformed-signature', 'signature must be 65 bytes of 0x-prefixed hex');
  }
  let recovered: string;
  try {
    // Normalises v and refuses high-s values, so a signature has one accepted form.
    Signature.from(signature);
    recovered = verifyTypedData(METER_BATCH_DOMAIN, METER_BATCH_TYPES, { format, digest }, signature);
  } catch (error) {
    throw new BatchSignatureError('unrecoverable-signature', `signature does not recover a signer: ${(error as Error).message.slice(0, 120)}`);
  }
  if (getAddress(recovered) !== getAddress(claimedMpo)) {
    throw new BatchSignatureError('signer-mismatch', `signature was made by ${recovered}, not by the declared mpo ${getAddress(claimedMpo)}`);
  }
  return getAddress(recovered);
}

/** A minimal signer interface (ethers Wallet fits), so clients and tests sign the same way. */
export interface TypedDataSigner {
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

export function signBatchDigest(signer: TypedDataSigner, format: SignedFormat, digest: string): Promise<string> {
  return signer.signTypedData(METER_BATCH_DOMAIN, METER_BATCH_TYPES, { format, digest });
}

/** Signs a JSON body in place of its `signature` field; returns the body with it. */
export async function signJsonBody<T extends Record<string, unknown>>(signer: TypedDataSigner, format: SignedFormat, body: T): Promise<T & { signature: string }> {
  const signature = await signBatchDigest(signer, format, jsonBatchDigest(body));
  return { ...body, signature };
}
