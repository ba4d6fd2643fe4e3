import { Wallet } from 'ethers';
import { signRequest, signSession, type AuthEnvironment, type RequestSigner } from '@gridledger/auth';

/**
 * The one place tests speak as a participant: a signed write (EIP-712 headers over the exact
 * body bytes), a read session (`Authorization: SIWE …`), and the hostile variants of a signed
 * write every authenticated endpoint must refuse with 401 (missing, expired, replayed, other
 * chain, other contract, tampered body) or 403 (a key without the role).
 */
export type SessionSigner = RequestSigner & { signMessage(message: string): Promise<string> };

export interface SignedCall {
  readonly method: string;
  /** Path and query exactly as sent. */
  readonly path: string;
  /** JSON value (serialized once, signed and sent as the same bytes) or exact bytes. */
  readonly body?: unknown;
  /** The request's nonce (bytes32); default random. A meter batch's is its body digest (docs/trust.md). */
  readonly nonce?: string;
}

function bodyBytes(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  return Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
}

/** Sends `call` signed by `signer` for `environment`; `headers` are added after the signature's. */
export async function signedFetch(baseUrl: string, signer: RequestSigner, environment: AuthEnvironment, call: SignedCall, headers: Record<string, string> = {}): Promise<Response> {
  const body = bodyBytes(call.body);
  const signed = await signRequest(signer, environment, { method: call.method, path: call.path, body: body ?? '' }, call.nonce ? { nonce: call.nonce } : {});
  return fetch(baseUrl + call.path, { method: call.method, headers: { 'content-type': 'application/json', ...signed, ...headers }, body });
}

/** The `Authorization` header of a read session of `signer` (≤ 1 h). */
export async function sessionHeaders(signer: SessionSigner, environment: AuthEnvironment): Promise<Record<string, string>> {
  return { authorization: await signSession(signer, environment) };
}

/** GET `path` in a read session of `signer`. */
export async function sessionFetch(baseUrl: string, signer: SessionSigner, environment: AuthEnvironment, path: string): Promise<Response> {
  return fetch(baseUrl + path, { headers: await sessionHeaders(signer, environment) });
}

export interface UnauthorizedVariant {
  readonly what: string;
  /** 401: no valid proof of who signs; 403: a valid signer without the role. */
  readonly status: 401 | 403;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
}

/**
 * The ways a write to `call` must be refused, each with the headers and body to send:
 * unsigned, expired, signed for another chain or another verifying contract, a body other
 * than the one signed, a nonce already used (send `replayOf` first, it is accepted), and
 * signed by a fresh key that holds no role.
 */
export async function unauthorizedVariants(signer: RequestSigner, environment: AuthEnvironment, call: SignedCall): Promise<{ replayOf: Record<string, string>; variants: UnauthorizedVariant[] }> {
  const body = bodyBytes(call.body);
  const request = { method: call.method, path: call.path, body: body ?? '' };
  const json = { 'content-type': 'application/json' };
  const replayOf = { ...json, ...(await signRequest(signer, environment, request)) };
  const otherContract = `0x${'de'.repeat(20)}`;
  return {
    replayOf,
    variants: [
      { what: 'unsigned', status: 401, headers: json, body },
      { what: 'expired', status: 401, headers: { ...json, ...(await signRequest(signer, environment, request, { nowMs: Date.now() - 3_600_000, ttlSeconds: 60 })) }, body },
      { what: 'other chain', status: 401, headers: { ...json, ...(await signRequest(signer, { ...environment, chainId: environment.chainId + 1n }, request)) }, body },
      { what: 'other verifying contract', status: 401, headers: { ...json, ...(await signRequest(signer, { ...environment, verifyingContract: otherContract }, request)) }, body },
      { what: 'tampered body', status: 401, headers: { ...json, ...(await signRequest(signer, environment, request)) }, body: Buffer.concat([body ?? Buffer.alloc(0), Buffer.from(' ')]) },
      { what: 'replayed nonce', status: 401, headers: replayOf, body },
      { what: 'a key without the role', status: 403, headers: { ...json, ...(await signRequest(Wallet.createRandom(), environment, request)) }, body },
    ],
  };
}
