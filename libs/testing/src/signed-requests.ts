import { Wallet } from 'ethers';
import fc from 'fast-check';
import { SIGNED_REQUEST_HEADERS, signRequest, signSession, type AuthEnvironment, type RequestSigner } from '@gridledger/auth';
import { sendHostile, type HostileTally } from './hostile';

/**
 * The one place tests speak as a participant: a signed write (EIP-712 headers over the exact
 * body bytes), a read session (`Authorization: SIWE …`), and the hostile variants of a signed
 * write every authenticated endpoint must refuse with 401 (`signatureAttacks`: missing, malformed,
 * forged signer, tampered body, expired, too far ahead, other chain or contract, replayed) or
 * 403 (a key without the role or not the party).
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

export type SignatureAttack =
  | 'unsigned'
  | 'malformed header'
  | 'signer header not the signer'
  | 'tampered body'
  | 'expired'
  | 'too far ahead'
  | 'other chain'
  | 'other contract'
  | 'replayed nonce'
  | 'wrong role';

export interface SignatureAttackSpec {
  /** A request the right signer may send (its body valid or not: the signature is refused first). */
  readonly valid: { readonly method: string; readonly path: string; readonly body: Buffer };
  readonly rightSigner: RequestSigner;
  /** Keys that hold roles, none the one asked for (a fresh key is mixed in too); they sign `valid.body`. */
  readonly wrongSigners: readonly RequestSigner[];
  /** Bodies valid for a key that may not send them (another plant, not the party the body names), drawn with `wrongSigners`: 403. */
  readonly wrongParties?: readonly { readonly signer: RequestSigner; readonly body: Buffer }[];
  readonly environment: AuthEnvironment;
  /** For 'replayed nonce': a request the service accepted before (signed with a long expiry); sent again it must answer 401. */
  readonly accepted?: { readonly path: string; readonly headers: Record<string, string>; readonly body: Buffer };
  /**
   * For 'replayed nonce', without `accepted`: a body the right signer's request carries that is
   * refused behind the signature (its first use answers this 4xx and spends the nonce, writing
   * nothing); the second send of the same headers must answer 401. Without either the kind is not drawn.
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
  /** Signs when first asked (as the request is sent: no long idle pause on the connection while all are signed). */
  readonly headers: () => Promise<Record<string, string>>;
  /** The status the service must answer. */
  readonly expected: number;
}

const JSON_HEADERS: Record<string, string> = { 'content-type': 'application/json' };

/** One call, whatever the number of asks (a replay sends the headers of its first use). */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** The signed body changed after signing: a decimal amount in it another, or (bodies without one) bytes more. */
function tamperedBody(body: Buffer, pick: number): Buffer {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const amounts = Object.entries(value).filter(([, field]) => typeof field === 'string' && /^[0-9]+$/.test(field));
      if (amounts.length > 0) {
        const [name, amount] = amounts[pick % amounts.length];
        return Buffer.from(JSON.stringify({ ...value, [name]: String(BigInt(amount as string) + BigInt(1 + (pick % 4000))) }));
      }
    }
  } catch {
    // not JSON (an MSCONS file): bytes more, below
  }
  return Buffer.concat([body, Buffer.from(' '.repeat(1 + (pick % 8)))]);
}

/**
 * `count` generated requests (fast-check, fixed seed) whose signature must not pass, the one
 * generator of every service's hostile signature suite: no signature, a malformed signature
 * header, a signer header that is not the signer, a body other than the one signed, expired,
 * too far ahead, another chain id, another verifying contract, a replayed nonce (401), and a
 * key without the role or not the party (403). Send them in order (a replay follows its first use).
 */
export function signatureAttacks(spec: SignatureAttackSpec, count: number, seed: number): SignatureAttackRequest[] {
  const replayable = spec.accepted !== undefined || spec.refusedBody !== undefined;
  const kinds: SignatureAttack[] = [
    'unsigned',
    'malformed header',
    'signer header not the signer',
    'tampered body',
    'expired',
    'too far ahead',
    'other chain',
    'other contract',
    'wrong role',
    ...(replayable ? (['replayed nonce'] as const) : []),
  ];
  const drawn = fc.sample(
    fc.record({ kind: fc.constantFrom(...kinds), pick: fc.nat(), hours: fc.integer({ min: 1, max: 24 * 365 }), offset: fc.bigInt({ min: 1n, max: 10n ** 9n }), contract: fc.uint8Array({ minLength: 20, maxLength: 20 }) }),
    { numRuns: count, seed },
  );
  const { valid, environment } = spec;
  const signed = (signer: RequestSigner, body: Buffer, options: { environment?: AuthEnvironment; nowMs?: number; ttlSeconds?: number } = {}) =>
    once(async () => ({
      ...JSON_HEADERS,
      ...(await signRequest(signer, options.environment ?? environment, { method: valid.method, path: valid.path, body }, { nowMs: options.nowMs, ttlSeconds: options.ttlSeconds, nonce: spec.nonceOf?.(body) })),
    }));
  const wrong = [...spec.wrongSigners.map((signer) => ({ signer, body: valid.body })), ...(spec.wrongParties ?? [])];
  const requests: SignatureAttackRequest[] = [];
  const attack = (what: string, headers: () => Promise<Record<string, string>>, expected = 401, body = valid.body) => requests.push({ ...valid, body, what, headers, expected });
  for (const { kind, pick, hours, offset, contract } of drawn) {
    if (requests.length >= count) break;
    switch (kind) {
      case 'unsigned':
        attack(kind, async () => JSON_HEADERS);
        break;
      case 'malformed header': {
        const headers = signed(spec.rightSigner, valid.body);
        const broken = (right: Record<string, string>): Record<string, string> =>
          [
            { [SIGNED_REQUEST_HEADERS.signer]: 'nobody' },
            { [SIGNED_REQUEST_HEADERS.nonce]: '0x12' },
            { [SIGNED_REQUEST_HEADERS.expiry]: 'tomorrow' },
            { [SIGNED_REQUEST_HEADERS.signature]: '0x00' },
            { [SIGNED_REQUEST_HEADERS.signer]: right[SIGNED_REQUEST_HEADERS.signer].toLowerCase().replace(/^0x/, '0X') },
          ][pick % 5];
        attack(kind, async () => {
          const right = await headers();
          return { ...right, ...broken(right) };
        });
        break;
      }
      case 'signer header not the signer': {
        const headers = signed(spec.rightSigner, valid.body);
        const claimed = pick % 2 === 0 || wrong.length === 0 ? Wallet.createRandom() : wrong[pick % wrong.length].signer;
        attack(kind, async () => {
          const right = await headers();
          const address = await claimed.getAddress();
          return { ...right, [SIGNED_REQUEST_HEADERS.signer]: address === right[SIGNED_REQUEST_HEADERS.signer] ? Wallet.createRandom().address : address };
        });
        break;
      }
      case 'tampered body':
        attack(kind, signed(spec.rightSigner, valid.body), 401, tamperedBody(valid.body, pick));
        break;
      case 'expired':
        attack(kind, signed(spec.rightSigner, valid.body, { nowMs: Date.now() - hours * 3_600_000, ttlSeconds: 60 }));
        break;
      case 'too far ahead':
        attack(kind, signed(spec.rightSigner, valid.body, { nowMs: Date.now() + hours * 3_600_000 }));
        break;
      case 'other chain':
        attack(kind, signed(spec.rightSigner, valid.body, { environment: { ...environment, chainId: environment.chainId + offset } }));
        break;
      case 'other contract':
        attack(kind, signed(spec.rightSigner, valid.body, { environment: { ...environment, verifyingContract: `0x${Buffer.from(contract).toString('hex')}` } }));
        break;
      case 'wrong role': {
        const party = pick % 3 === 0 || wrong.length === 0 ? { signer: Wallet.createRandom(), body: valid.body } : wrong[pick % wrong.length];
        attack(kind, signed(party.signer, party.body), 403, party.body);
        break;
      }
      case 'replayed nonce':
        if (spec.accepted) {
          const { accepted } = spec;
          requests.push({ ...valid, path: accepted.path, body: accepted.body, what: kind, headers: async () => accepted.headers, expected: 401 });
        } else if (spec.refusedBody) {
          const headers = signed(spec.rightSigner, spec.refusedBody.body);
          attack('first use of a replayed nonce', headers, spec.refusedBody.status, spec.refusedBody.body);
          if (requests.length < count) attack(kind, headers, 401, spec.refusedBody.body);
        }
        break;
    }
  }
  return requests;
}

/** Sends `requests` with their own headers (sendHostile's tally, printed by reportHostile). */
export function sendSignatureAttacks(baseUrl: string, suite: string, requests: readonly SignatureAttackRequest[]): Promise<HostileTally> {
  return sendHostile(baseUrl, suite, requests, (request) => (request as SignatureAttackRequest).headers());
}

/** How many of `requests` expect each status (what `sendHostile`'s tally must show). */
export function expectedStatuses(requests: readonly SignatureAttackRequest[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const request of requests) counts[request.expected] = (counts[request.expected] ?? 0) + 1;
  return counts;
}
