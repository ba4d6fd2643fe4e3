import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SERVICE_CONFIG } from '@gridledger/service-kit';
import type { MeterIngestConfig } from '../config';

/** Routes whose bodies must reach the handler as the exact bytes sent (signed, audited). */
export const RAW_BODY_ROUTES = [/^\/readings\/?$/, /^\/mscons\/?$/, /^\/meters(\/|$)/];

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Intake bodies are signed and kept for audit, so they are read raw (Buffer) with a size
 * limit instead of being parsed by Nest's global JSON parser (which would also re-decode
 * broken UTF-8 and cap bodies at 100 kB). Registered under the name `jsonParser` while the
 * providers are built, before Nest adds its own parsers: Nest then skips its JSON parser and
 * this one hands every other route to express.json() as before.
 */
@Injectable()
export class RawBodyParsers {
  constructor(adapterHost: HttpAdapterHost, @Inject(SERVICE_CONFIG) config: MeterIngestConfig) {
    const app = adapterHost.httpAdapter?.getInstance<express.Express>();
    if (!app) return;
    const limit = config.METER_INGEST_MAX_BODY_BYTES ?? DEFAULT_MAX_BODY_BYTES;
    const raw = express.raw({ type: () => true, limit });
    const json = express.json();
    // Parser errors (too large, aborted, bad JSON) go on to Nest's error handler, whose
    // exception filter answers them as problem details like every other error.
    const jsonParser = (request: Request, response: Response, next: NextFunction): void => {
      if (RAW_BODY_ROUTES.some((route) => route.test(request.path)) && request.method !== 'GET') raw(request, response, next);
      else json(request, response, next);
    };
    app.use(jsonParser);
  }
}
