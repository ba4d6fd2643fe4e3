import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { SIGNED_REQUEST_HEADERS } from '@gridledger/auth';

/** Largest signed body the general parser reads (services with larger doors parse their own). */
export const DEFAULT_MAX_SIGNED_BODY_BYTES = 1024 * 1024;

/**
 * Every service's body parser (installed by bootstrapService in place of Nest's): a request
 * carrying a signature (x-gl-signature) is read as raw bytes, so @SignedWrite checks the
 * signature over exactly what was sent before anything parses it; any other body is JSON as
 * before. A body parsed earlier (a service's own parser) is left alone.
 */
export function signedBodyParsers(maxSignedBodyBytes = DEFAULT_MAX_SIGNED_BODY_BYTES): RequestHandler {
  const raw = express.raw({ type: () => true, limit: maxSignedBodyBytes });
  const json = express.json();
  return (request: Request, response: Response, next: NextFunction): void => {
    if (request.headers[SIGNED_REQUEST_HEADERS.signature] !== undefined) raw(request, response, next);
    else json(request, response, next);
  };
}
