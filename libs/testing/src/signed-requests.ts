import { Wallet } from 'ethers';
import fc from 'fast-check';
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

export type SignatureAttack = 'wrong role' | 'replayed nonce' | 'other chain' | 'other contract' | 'expired';

export interface SignatureAttackSpec {
  /** A request the right signer may send (its body valid or not: the signature is refused first). */
  readonly valid: { readonly method: string; readonly path: string; readonly body: Buffer };
  readonly rightSigner: RequestSigner;
  /** Keys that hold roles, none the one asked for (a fresh key is mixed in too). */
  readonly wrongSigners: readonly RequestSigner[];
  readonly environment: AuthEnvironment;
  /**
   * For 'replayed nonce': a body the right signer's request carries that is refused behind the
   * signature (its first use answers this 4xx and spends the nonce, writing nothing); the second
   * send of the same headers must answer 401. Without it the kind is not drawn.
   */
  readonly refusedBody?: { readonly body: Buffer; readonly status: number };
  /** The nonce a request's signature must carry (a meter batch's is its body digest); default random. */
  readonly nonceOf?: (body: Buffer) => string;
}

export interface SignatureAttackRequest {
  readonly method: string;
  readonly path: string;
  readonly body: Buffer;
  readonly what: string;
  readonly headers: Record<string, string>;
  /** The status the service must answer. */
  readonly expected: number;
}

/**
 * `count` generated requests (fast-check, fixed seed) whose signature must not pass: a key
 * without the role, a replayed nonce, another chain id, another verifying contract, an expired
 * request. Send them in order (a replay follows its first use).
 */
export async function signatureAttacks(spec: SignatureAttackSpec, count: number, seed: number): Promise<SignatureAttackRequest[]> {
  const kinds: SignatureAttack[] = ['wrong role', 'other chain', 'other contract', 'expired', ...(spec.refusedBody ? (['replayed nonce'] as const) : [])];
  const drawn = fc.sample(fc.constantFrom(...kinds), { numRuns: count, seed });
  const json = { 'content-type': 'application/json' };
  const sign = async (signer: RequestSigner, body: Buffer, options: { environment?: AuthEnvironment; nowMs?: number; ttlSeconds?: number } = {}) => ({
    ...json,
    ...(await signRequest(signer, options.environment ?? spec.environment, { method: spec.valid.method, path: spec.valid.path, body }, { nowMs: options.nowMs, ttlSeconds: options.ttlSeconds, nonce: spec.nonceOf?.(body) })),
  });
  const requests: SignatureAttackRequest[] = [];
  const { valid } = spec;
  for (const [i, kind] of drawn.entries()) {
    if (requests.length >= count) break;
    if (kind === 'wrong role') {
      const signer = i % 3 === 0 || spec.wrongSigners.length === 0 ? Wallet.createRandom() : spec.wrongSigners[i % spec.wrongSigners.length];
      requests.push({ ...valid, what: kind, headers: await sign(signer, valid.body), expected: 403 });
    } else if (kind === 'replayed nonce' && spec.refusedBody) {
      const headers = await sign(spec.rightSigner, spec.refusedBody.body);
      requests.push({ ...valid, body: spec.refusedBody.body, what: 'first use of a replayed nonce', headers, expected: spec.refusedBody.status });
      if (requests.length < count) requests.push({ ...valid, body: spec.refusedBody.body, what: kind, headers, expected: 401 });
    } else if (kind === 'other chain') {
      requests.push({ ...valid, what: kind, headers: await sign(spec.rightSigner, valid.body, { environment: { ...spec.environment, chainId: spec.environment.chainId + BigInt(1 + (i % 5)) } }), expected: 401 });
    } else if (kind === 'other contract') {
      requests.push({ ...valid, what: kind, headers: await sign(spec.rightSigner, valid.body, { environment: { ...spec.environment, verifyingContract: Wallet.createRandom().address } }), expected: 401 });
    } else {
      requests.push({ ...valid, what: kind, headers: await sign(spec.rightSigner, valid.body, { nowMs: Date.now() - 60_000 * (2 + (i % 120)), ttlSeconds: 60 }), expected: 401 });
    }
  }
  return requests;
}

/** How many of `requests` expect each status (what `sendHostile`'s tally must show). */
export function expectedStatuses(requests: readonly SignatureAttackRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests) counts[request.expected] = (counts[request.expected] ?? 0) + 1;
  return counts;
}
