import { randomBytes } from 'node:crypto';
import { getAddress, verifyMessage } from 'ethers';
import { SiweMessage } from 'siwe';
import { DomainError } from '@gridledger/domain';
import type { AuthEnvironment } from './environment';

/**
 * Read sessions: a Sign-In with Ethereum (EIP-4361) message signed by the participant's key,
 * sent as `Authorization: SIWE <base64url(message)>.<signature>`. Any service verifies it on
 * its own (no session store): the signature, and that the message names this deployment
 * (domain "gridledger", URI with chain id and registry address, chain id) and is in its
 * lifetime (at most one hour). Roles are looked up per request, so a revoked role stops
 * reading at once even while the session lasts.
 */
export const SESSION_SCHEME = 'SIWE';
export const SESSION_DOMAIN = 'gridledger';
export const SESSION_STATEMENT = 'Read gridledger data as this address.';
export const MAX_SESSION_MS = 60 * 60 * 1000;
const CLOCK_SKEW_MS = 60 * 1000;

/** The URI a session names: the chain and the registry, so it is good in one deployment only. */
export function sessionUri(environment: AuthEnvironment): string {
  return `urn:gridledger:${environment.chainId}:${environment.verifyingContract.toLowerCase()}`;
}

export interface MessageSigner {
  getAddress(): Promise<string>;
  signMessage(message: string): Promise<string>;
}

/** Signs a session for `environment`; returns the Authorization header's value. */
export async function signSession(signer: MessageSigner, environment: AuthEnvironment, options: { nowMs?: number; ttlMs?: number } = {}): Promise<string> {
  const nowMs = options.nowMs ?? Date.now();
  const ttlMs = options.ttlMs ?? MAX_SESSION_MS;
  if (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_SESSION_MS) throw new RangeError(`ttlMs must be 1 to ${MAX_SESSION_MS}`);
  const message = new SiweMessage({
    domain: SESSION_DOMAIN,
    address: getAddress(await signer.getAddress()),
    statement: SESSION_STATEMENT,
    uri: sessionUri(environment),
    version: '1',
    chainId: Number(environment.chainId),
    nonce: randomBytes(12).toString('hex'),
    issuedAt: new Date(nowMs).toISOString(),
    expirationTime: new Date(nowMs + ttlMs).toISOString(),
  }).prepareMessage();
  const signature = await signer.signMessage(message);
  return `${SESSION_SCHEME} ${Buffer.from(message, 'utf8').toString('base64url')}.${signature}`;
}

export interface VerifiedSession {
  readonly address: string;
  readonly expiresAtMs: number;
}

function refused(code: string, reason: string): DomainError {
  return new DomainError('unauthenticated', code, 'authorization', reason);
}

const TOKEN = /^SIWE ([A-Za-z0-9_-]{1,8192})\.(0x[0-9a-fA-F]{130})$/;

/**
 * Verifies an `Authorization` header value; throws DomainError 401 (field `authorization`)
 * naming what is wrong.
 */
export function verifySession(authorization: string | undefined, environment: AuthEnvironment, nowMs: number): VerifiedSession {
  if (authorization === undefined || authorization === '') {
    throw refused('UNAUTHENTICATED', 'this read needs a session: Authorization: SIWE <base64url message>.<signature> (docs/trust.md)');
  }
  const match = TOKEN.exec(authorization);
  if (!match) throw refused('MALFORMED_AUTH', 'must read SIWE <base64url EIP-4361 message>.<65-byte 0x-hex signature>');
  const text = Buffer.from(match[1], 'base64url').toString('utf8');
  let message: SiweMessage;
  try {
    message = new SiweMessage(text);
  } catch (error) {
    throw refused('MALFORMED_AUTH', `the session is not an EIP-4361 message: ${String(error instanceof Error ? error.message : error).slice(0, 160)}`);
  }
  if (message.domain !== SESSION_DOMAIN) throw refused('WRONG_ENVIRONMENT', `the session is for domain "${message.domain}", not "${SESSION_DOMAIN}"`);
  if (message.uri !== sessionUri(environment) || BigInt(message.chainId) !== environment.chainId) {
    throw refused('WRONG_ENVIRONMENT', `the session is for ${message.uri} on chain ${message.chainId}, not ${sessionUri(environment)}`);
  }
  const issuedAt = Date.parse(message.issuedAt ?? '');
  const expiresAt = Date.parse(message.expirationTime ?? '');
  if (!Number.isFinite(issuedAt) || !Number.isFinite(expiresAt)) throw refused('MALFORMED_AUTH', 'the session must state Issued At and Expiration Time');
  if (issuedAt > nowMs + CLOCK_SKEW_MS) throw refused('NOT_YET_VALID', 'the session is issued in the future');
  if (message.notBefore !== undefined && Date.parse(message.notBefore) > nowMs + CLOCK_SKEW_MS) throw refused('NOT_YET_VALID', 'the session is not valid yet');
  if (expiresAt <= nowMs) throw refused('EXPIRED', `the session expired at ${new Date(expiresAt).toISOString()}; sign in again`);
  if (expiresAt - issuedAt > MAX_SESSION_MS) throw refused('SESSION_TOO_LONG', 'a session lasts at most one hour');
  let recovered: string;
  try {
    recovered = verifyMessage(text, match[2]);
  } catch {
    throw refused('BAD_SIGNATURE', 'the session signature does not recover a signer');
  }
  const address = getAddress(message.address);
  if (recovered !== address) throw refused('BAD_SIGNATURE', `the session was signed by ${recovered}, not by ${address}`);
  return { address, expiresAtMs: expiresAt };
}
