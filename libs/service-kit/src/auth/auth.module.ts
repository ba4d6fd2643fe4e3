import {
  Global,
  Inject,
  Injectable,
  Module,
  SetMetadata,
  UseGuards,
  applyDecorators,
  createParamDecorator,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import { DomainError } from '@gridledger/domain';
import { authEnvironment, type Requirement, type RoleView, type VerifiedRequest, type VerifiedSession } from '@gridledger/auth';
import type { JsonLogger } from '@gridledger/telemetry';
import { PollingLoop } from '../polling-loop';
import { DATA_SOURCE, LOGGER, SERVICE_CONFIG } from '../tokens';
import { authConfigSchema } from './auth.config';
import { AuthService, type NoncePolicy } from './auth.service';
import { NonceStore } from './nonce-store';
import { RoleDirectory } from './role-directory';

/** The RoleView of the service (the RoleDirectory mirror). */
export const ROLE_DIRECTORY = Symbol('gridledger.roleDirectory');

const SIGNED_WRITE = 'gridledger.auth.signedWrite';
const READ_SESSION = 'gridledger.auth.readSession';

export interface SignedWriteOptions {
  /** Market roles the signer must hold one of; scoped checks (by body) go in the handler with `auth.require`. */
  readonly anyOf?: readonly Requirement[];
  /** Default 'once' (nonce store); 'body-digest' for idempotent batch doors. */
  readonly nonce?: NoncePolicy;
  /** Leave `request.body` as the raw Buffer; default: parsed as JSON after the check (so @Body() works). */
  readonly rawBody?: boolean;
}

export interface ReadSessionOptions {
  /** Roles the session's address must hold one of; scoped checks go in the handler. */
  readonly anyOf?: readonly Requirement[];
}

type AuthRequest = Request & { signedRequest?: VerifiedRequest; readSession?: VerifiedSession; rawBody?: Buffer };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Route guard of @SignedWrite: the signature over the raw body bytes first (the body parser
 * hands signed requests over unparsed), then roles and nonce, then — only then — the body is
 * parsed as JSON for the handler (unless `rawBody`).
 */
@Injectable()
export class SignedWriteGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const options = this.reflector.getAllAndOverride<SignedWriteOptions | undefined>(SIGNED_WRITE, [context.getHandler(), context.getClass()]) ?? {};
    const request = context.switchToHttp().getRequest<AuthRequest>();
    const raw = rawBodyOf(request);
    request.signedRequest = await this.auth.verifyWrite(
      { method: request.method, path: request.originalUrl, body: raw, header: (name) => headerOf(request, name) },
      { nonce: options.nonce, anyOf: options.anyOf },
    );
    request.rawBody = raw;
    if (!options.rawBody) request.body = raw.length === 0 ? undefined : parseJson(raw);
    return true;
  }
}

/** Route guard of @ReadSession: a valid SIWE session, and the roles asked for. */
@Injectable()
export class ReadSessionGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const options = this.reflector.getAllAndOverride<ReadSessionOptions | undefined>(READ_SESSION, [context.getHandler(), context.getClass()]) ?? {};
    const request = context.switchToHttp().getRequest<AuthRequest>();
    const session = this.auth.verifySession(headerOf(request, 'authorization'));
    if (options.anyOf && options.anyOf.length > 0) this.auth.require(session.address, options.anyOf, `read ${request.path}`, 'authorization');
    request.readSession = session;
    return true;
  }
}

/** The route takes EIP-712 signed requests only (docs/trust.md). */
export const SignedWrite = (options: SignedWriteOptions = {}) => applyDecorators(SetMetadata(SIGNED_WRITE, options), UseGuards(SignedWriteGuard));
/** The route needs a Sign-In with Ethereum session. */
export const ReadSession = (options: ReadSessionOptions = {}) => applyDecorators(SetMetadata(READ_SESSION, options), UseGuards(ReadSessionGuard));

/** The verified signed request (signer, nonce, expiry, body digest, signature) of a @SignedWrite route. */
export const Signed = createParamDecorator((_data: unknown, context: ExecutionContext): VerifiedRequest => {
  const verified = context.switchToHttp().getRequest<AuthRequest>().signedRequest;
  if (!verified) throw new Error('@Signed() needs @SignedWrite() on the route');
  return verified;
});

/** The session's address of a @ReadSession route. */
export const SessionAddress = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const session = context.switchToHttp().getRequest<AuthRequest>().readSession;
  if (!session) throw new Error('@SessionAddress() needs @ReadSession() on the route');
  return session.address;
});

/** The exact body bytes of a @SignedWrite route (also when it was parsed for @Body()). */
export const RawBody = createParamDecorator((_data: unknown, context: ExecutionContext): Buffer => context.switchToHttp().getRequest<AuthRequest>().rawBody ?? Buffer.alloc(0));

function headerOf(request: Request, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function rawBodyOf(request: Request): Buffer {
  if (Buffer.isBuffer(request.body)) return request.body;
  if (request.body === undefined || (typeof request.body === 'object' && request.body !== null && Object.keys(request.body as object).length === 0)) return Buffer.alloc(0);
  // A parser ran before the check: the exact bytes are gone, so the signature cannot be checked.
  throw new DomainError('unauthenticated', 'BODY_NOT_RAW', '(body)', 'the body was parsed before its signature could be checked; send the signature headers with the request');
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(utf8.decode(raw));
  } catch (error) {
    throw new DomainError('invalid', 'MALFORMED_BODY', '(body)', `body is not valid UTF-8 JSON: ${(error as Error).message.slice(0, 160)}`);
  }
}

/** Starts the role mirror with the app, prunes expired nonces every minute, stops both on shutdown. */
@Injectable()
class AuthLifecycle implements OnApplicationShutdown {
  private readonly pruning: PollingLoop;

  constructor(
    @Inject(ROLE_DIRECTORY) private readonly directory: RoleView,
    nonces: NonceStore,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.pruning = new PollingLoop(60_000, () => nonces.prune(Date.now()), (error) => logger.warn(`pruning used nonces failed: ${error instanceof Error ? error.message : String(error)}`, 'AuthModule'));
    this.pruning.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pruning.stop();
    if (this.directory instanceof RoleDirectory) await this.directory.stop();
  }
}

/**
 * Authentication and authorization for a service: import `AuthModule.forRoot()` in the app
 * module and extend the config schema with `authConfigFields` (CHAIN_RPC_URL,
 * ROLE_REGISTRY_ADDRESS, …). Start-up reads the registry's role events and the chain id (a
 * node that cannot be read stops the start, naming CHAIN_RPC_URL); then AuthService,
 * @SignedWrite, @ReadSession, @Signed, @SessionAddress, @RawBody are available.
 */
@Global()
@Module({})
export class AuthModule {
  static forRoot(): DynamicModule {
    return {
      module: AuthModule,
      providers: [
        {
          provide: ROLE_DIRECTORY,
          inject: [SERVICE_CONFIG, LOGGER],
          useFactory: async (config: unknown, logger: JsonLogger): Promise<RoleDirectory> => {
            const auth = authConfigSchema.parse(config);
            const directory = new RoleDirectory({ rpcUrl: auth.CHAIN_RPC_URL, registryAddress: auth.ROLE_REGISTRY_ADDRESS, fromBlock: auth.ROLE_REGISTRY_FROM_BLOCK, pollMs: auth.ROLE_MIRROR_POLL_MS, logger });
            try {
              await directory.start();
            } catch (error) {
              await directory.stop();
              throw new Error(`RoleRegistry (CHAIN_RPC_URL ${auth.CHAIN_RPC_URL}, ROLE_REGISTRY_ADDRESS ${auth.ROLE_REGISTRY_ADDRESS}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
            }
            return directory;
          },
        },
        { provide: NonceStore, inject: [DATA_SOURCE], useFactory: (dataSource: DataSource) => new NonceStore(dataSource) },
        {
          provide: AuthService,
          inject: [SERVICE_CONFIG, ROLE_DIRECTORY, NonceStore],
          useFactory: async (config: unknown, directory: RoleDirectory, nonces: NonceStore): Promise<AuthService> => {
            const auth = authConfigSchema.parse(config);
            return new AuthService(authEnvironment(await directory.chainId(), auth.ROLE_REGISTRY_ADDRESS), directory, nonces);
          },
        },
        SignedWriteGuard,
        ReadSessionGuard,
        AuthLifecycle,
      ],
      exports: [ROLE_DIRECTORY, NonceStore, AuthService, SignedWriteGuard, ReadSessionGuard],
    };
  }
}
