import { createHash, randomBytes, webcrypto } from 'node:crypto';
import { Signature, TypedDataEncoder, getAddress, isHexString, type TypedDataDomain, type TypedDataField } from 'ethers';
import { recoverSigner } from './recover-signer';
import { DomainError } from '@gridledger/domain';
import { authDomain, type AuthEnvironment } from './environment';

/**
 * Writes are EIP-712 signed requests (docs/trust.md): the signer signs the method, the path
 * with its query exactly as sent, the SHA-256 of the exact body bytes, a nonce and an expiry.
 * Everything travels in four headers; the body is left as it is, so the check needs only its
 * bytes and runs before anything parses them.
 */
export const SIGNED_REQUEST_TYPES: Record<string, TypedDataField[]> = {
  SignedRequest: [
    { name: 'method', type: 'string' },
    { name: 'path', type: 'string' },
    { name: 'bodySha256', type: 'bytes32' },
    { name: 'nonce', type: 'bytes32' },
    { name: 'expiry', type: 'uint64' },
  ],
};

/** Header names (lower case, as Node and NATS hand them over). */
export const SIGNED_REQUEST_HEADERS = {
  signer: 'x-gl-signer',
  nonce: 'x-gl-nonce',
  expiry: 'x-gl-expiry',
  signature: 'x-gl-signature',
} as const;

/** A signed request expires at most this long after it is checked (and so after it is signed). */
export const MAX_REQUEST_TTL_SECONDS = 15 * 60;
/** Clock difference tolerated between signer and service, on the expiry's upper bound. */
export const CLOCK_SKEW_SECONDS = 60;
export const DEFAULT_REQUEST_TTL_SECONDS = 5 * 60;

export interface SignedRequestValue {
  readonly method: string;
  readonly path: string;
  readonly bodySha256: string;
  readonly nonce: string;
  readonly expiry: bigint;
}

/** What a signer needs to offer (an ethers Wallet or Signer fits). */
export interface RequestSigner {
  getAddress(): Promise<string>;
  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string>;
}

export function bodySha256(body: Uint8Array | string): string {
  return `0x${createHash('sha256').update(body).digest('hex')}`;
}

/** From this size on, bodySha256Async hashes on the thread pool; below, the hop costs more than the hash. */
export const OFF_THREAD_DIGEST_BYTES = 256 * 1024;

/**
 * bodySha256 of a large body on libuv's thread pool (WebCrypto's digest runs there), leaving
 * the event loop to other requests: about a millisecond per megabyte of batch.
 */
export async function bodySha256Async(body: Uint8Array): Promise<string> {
  if (body.length < OFF_THREAD_DIGEST_BYTES) return bodySha256(body);
  return `0x${Buffer.from(await webcrypto.subtle.digest('SHA-256', body)).toString('hex')}`;
}

export function randomNonce(): string {
  return `0x${randomBytes(32).toString('hex')}`;
}

export interface SignOptions {
  /** Unix ms now (the signer's clock); default Date.now(). */
  readonly nowMs?: number;
  /** Seconds until expiry; default 5 minutes, at most 15. */
  readonly ttlSeconds?: number;
  /** bytes32; default random. Doors that use the body digest as the nonce pass it here. */
  readonly nonce?: string;
}

/**
 * Signs `method path` with `body` for `environment`; returns the headers to send with it.
 * `path` is the path and query exactly as the request line will carry them.
 */
export async function signRequest(
  signer: RequestSigner,
  environment: AuthEnvironment,
  request: { readonly method: string; readonly path: string; readonly body?: Uint8Array | string },
  options: SignOptions = {},
): Promise<Record<string, string>> {
  const ttl = options.ttlSeconds ?? DEFAULT_REQUEST_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_REQUEST_TTL_SECONDS) throw new RangeError(`ttlSeconds must be 1 to ${MAX_REQUEST_TTL_SECONDS}`);
  const value: SignedRequestValue = {
    method: request.method.toUpperCase(),
    path: request.path,
    bodySha256: bodySha256(request.body ?? ''),
    nonce: options.nonce ?? randomNonce(),
    expiry: BigInt(Math.floor((options.nowMs ?? Date.now()) / 1000) + ttl),
  };
  const signature = await signer.signTypedData(authDomain(environment), SIGNED_REQUEST_TYPES, { ...value });
  return {
    [SIGNED_REQUEST_HEADERS.signer]: getAddress(await signer.getAddress()),
    [SIGNED_REQUEST_HEADERS.nonce]: value.nonce,
    [SIGNED_REQUEST_HEADERS.expiry]: value.expiry.toString(),
    [SIGNED_REQUEST_HEADERS.signature]: signature,
  };
}

/** The four headers, read and checked for form (not yet for truth). */
export interface SignedRequestClaim {
  readonly signer: string;
  readonly nonce: string;
  readonly expiry: bigint;
  readonly signature: string;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const UNIX_SECONDS = /^[1-9][0-9]{0,11}$/;
const SECP256K1_HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

function unauthenticated(code: string, field: string, reason: string): DomainError {
  return new DomainError('unauthenticated', code, field, reason);
}

/** Reads the headers (`header(name)` gives a header's value); refusals name the header. */
export function readSignedHeaders(header: (name: string) => string | undefined): SignedRequestClaim {
  const { signer, nonce, expiry, signature } = SIGNED_REQUEST_HEADERS;
  const values = { signer: header(signer), nonce: header(nonce), expiry: header(expiry), signature: header(signature) };
  if (values.signer === undefined && values.signature === undefined) {
    throw unauthenticated('UNAUTHENTICATED', signer, `this write must be signed (EIP-712 signed request: headers ${Object.values(SIGNED_REQUEST_HEADERS).join(', ')}; docs/trust.md)`);
  }
  if (values.signer === undefined || !ADDRESS.test(values.signer)) throw unauthenticated('MALFORMED_AUTH', signer, 'must be the signer address (20 bytes, 0x-hex)');
  let address: string;
  try {
    address = getAddress(values.signer);
  } catch {
    throw unauthenticated('MALFORMED_AUTH', signer, 'address has a wrong EIP-55 checksum');
  }
  if (values.nonce === undefined || !BYTES32.test(values.nonce)) throw unauthenticated('MALFORMED_AUTH', nonce, 'must be a bytes32 nonce (0x and 64 hex digits)');
  if (values.expiry === undefined || !UNIX_SECONDS.test(values.expiry)) throw unauthenticated('MALFORMED_AUTH', expiry, 'must be the expiry in unix seconds');
  if (values.signature === undefined || !isHexString(values.signature, 65)) throw unauthenticated('MALFORMED_AUTH', signature, 'must be a 65-byte signature (0x-hex)');
  return { signer: address, nonce: values.nonce.toLowerCase(), expiry: BigInt(values.expiry), signature: values.signature };
}

export interface VerifiedRequest {
  /** The checksummed address that signed. */
  readonly signer: string;
  readonly nonce: string;
  readonly expiresAtMs: number;
  readonly bodySha256: string;
  readonly signature: string;
}

/**
 * Checks a claim against the request as received: expiry (not past, not more than 15 min
 * ahead), then that the signature over (method, path, SHA-256 of `body`) in this environment
 * recovers to the claimed signer. Whether the nonce was used before is the caller's (the nonce
 * store's) business. Throws DomainError 401 naming the header.
 */
export function verifySignedRequest(
  environment: AuthEnvironment,
  request: { readonly method: string; readonly path: string; readonly body: Uint8Array },
  claim: SignedRequestClaim,
  nowMs: number,
  knownBodySha256?: string,
): VerifiedRequest {
  const nowSeconds = BigInt(Math.floor(nowMs / 1000));
  if (claim.expiry <= nowSeconds) throw unauthenticated('EXPIRED', SIGNED_REQUEST_HEADERS.expiry, `the request expired at ${isoOf(claim.expiry)}; sign it again`);
  if (claim.expiry > nowSeconds + BigInt(MAX_REQUEST_TTL_SECONDS + CLOCK_SKEW_SECONDS)) {
    throw unauthenticated('EXPIRY_TOO_FAR', SIGNED_REQUEST_HEADERS.expiry, `must be at most ${MAX_REQUEST_TTL_SECONDS / 60} minutes ahead`);
  }
  let signature: Signature;
  try {
    signature = Signature.from(claim.signature);
  } catch {
    throw unauthenticated('BAD_SIGNATURE', SIGNED_REQUEST_HEADERS.signature, 'is not a valid secp256k1 signature');
  }
  // One accepted form per signature (EIP-2): a flipped s would otherwise be a second valid one.
  if (BigInt(signature.s) > SECP256K1_HALF_N) throw unauthenticated('BAD_SIGNATURE', SIGNED_REQUEST_HEADERS.signature, 'has a high s value (not canonical)');
  const digest = knownBodySha256 ?? bodySha256(request.body);
  const value: SignedRequestValue = { method: request.method.toUpperCase(), path: request.path, bodySha256: digest, nonce: claim.nonce, expiry: claim.expiry };
  let recovered: string;
  try {
    recovered = signerOfRequest(environment, value, signature);
  } catch {
    throw unauthenticated('BAD_SIGNATURE', SIGNED_REQUEST_HEADERS.signature, 'does not recover a signer');
  }
  if (recovered !== claim.signer) {
    throw unauthenticated(
      'BAD_SIGNATURE',
      SIGNED_REQUEST_HEADERS.signature,
      `does not match ${claim.signer} for ${value.method} ${value.path} with this body on chain ${environment.chainId} registry ${environment.verifyingContract} (wrong key, environment, path or body)`,
    );
  }
  return { signer: claim.signer, nonce: claim.nonce, expiresAtMs: Number(claim.expiry) * 1000, bodySha256: digest, signature: claim.signature };
}

/**
 * The address that signed `value` in `environment`: no clock, no nonce store, so a stored
 * request (e.g. a batch named in a manifest) can be checked long after it expired. Throws
 * when the signature recovers nothing.
 */
export function signerOfRequest(environment: AuthEnvironment, value: SignedRequestValue, signature: Signature | string): string {
  return recoverSigner(TypedDataEncoder.hash(authDomain(environment), SIGNED_REQUEST_TYPES, { ...value }), signature);
}

function isoOf(unixSeconds: bigint): string {
  return new Date(Number(unixSeconds) * 1000).toISOString();
}
