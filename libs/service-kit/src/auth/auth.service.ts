import { DomainError } from '@gridledger/domain';
import {
  SIGNED_REQUEST_HEADERS,
  bodySha256Async,
  readSignedHeaders,
  requireAnyRole,
  verifySession,
  verifySignedRequest,
  type AuthEnvironment,
  type Requirement,
  type RoleView,
  type VerifiedRequest,
  type VerifiedSession,
} from '@gridledger/auth';
import type { NonceStore } from './nonce-store';

/** How a signed write's nonce is kept from being used twice. */
export type NoncePolicy =
  /** Default: any bytes32, accepted once per signer (the nonce store). */
  | 'once'
  /**
   * The nonce must be the SHA-256 of the body: the handler makes the write idempotent per body
   * (meter-ingest batches: a re-sent batch gets the stored answer and writes nothing).
   */
  | 'body-digest';

export interface WriteToVerify {
  readonly method: string;
  /** Path and query exactly as received (HTTP), or the logical subject (NATS, method "NATS"). */
  readonly path: string;
  readonly body: Uint8Array;
  readonly header: (name: string) => string | undefined;
}

export interface VerifyWriteOptions {
  readonly nonce?: NoncePolicy;
  /** Market roles the signer must hold one of (checked after the signature). */
  readonly anyOf?: readonly Requirement[];
  /** What the write does, for the refusal's reason. */
  readonly action?: string;
}

/**
 * Everything a service checks about who asks: signed writes (signature, expiry, nonce, roles),
 * read sessions, and role requirements, against this deployment's registry. Injected as
 * `AuthService` once `AuthModule` is imported.
 */
export class AuthService {
  private readonly sessions = new Map<string, VerifiedSession>();

  constructor(
    readonly environment: AuthEnvironment,
    readonly roles: RoleView,
    private readonly nonces: NonceStore,
    /** Wall-clock time: expiries are real time even where the market's clock is replayed. */
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Checks a signed write before its body is parsed; returns the signer. 401 or 403 when refused. */
  async verifyWrite(request: WriteToVerify, options: VerifyWriteOptions = {}): Promise<VerifiedRequest> {
    const claim = readSignedHeaders(request.header);
    // A batch's megabyte is hashed off the event loop; the claim is judged in order as before.
    const digest = await bodySha256Async(request.body);
    const verified = verifySignedRequest(this.environment, request, claim, this.nowMs(), digest);
    if (options.anyOf && options.anyOf.length > 0) requireAnyRole(this.roles, verified.signer, options.anyOf, options.action ?? `${request.method} ${request.path}`);
    if ((options.nonce ?? 'once') === 'body-digest') {
      if (verified.nonce !== verified.bodySha256) {
        throw new DomainError('unauthenticated', 'NONCE_NOT_BODY_DIGEST', SIGNED_REQUEST_HEADERS.nonce, `this write's nonce must be the SHA-256 of the body (${verified.bodySha256}): the body is its id`);
      }
    } else if (!(await this.nonces.use(verified.signer, verified.nonce, verified.expiresAtMs))) {
      throw new DomainError('unauthenticated', 'NONCE_REUSED', SIGNED_REQUEST_HEADERS.nonce, 'this nonce was already used by this signer: a replayed request; sign again with a new nonce');
    }
    return verified;
  }

  /** Checks `Authorization: SIWE …`; returns the session's address. 401 when refused. */
  verifySession(authorization: string | undefined): VerifiedSession {
    const now = this.nowMs();
    const known = authorization === undefined ? undefined : this.sessions.get(authorization);
    if (known && known.expiresAtMs > now) return known;
    const session = verifySession(authorization, this.environment, now);
    if (this.sessions.size >= 10_000) this.sessions.clear();
    this.sessions.set(authorization as string, session);
    return session;
  }

  /** 403 unless `address` holds one of `requirements`; returns the one it holds. */
  require(address: string, requirements: readonly Requirement[], action: string, field?: string): Requirement {
    return requireAnyRole(this.roles, address, requirements, action, field);
  }
}
