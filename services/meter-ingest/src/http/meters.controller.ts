import { Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '@gridledger/domain';
import { SERVICE_CONFIG } from '@gridledger/service-kit';
import { parseChangeCommand, parseMeterId, parseRegisterCommand, parseRetireCommand, type MeterPointVersionJson, type RegisterMeterPoint } from '@gridledger/metering';
import { authoriseRegistryRequest } from '../auth/registry-auth';
import { parseJsonBody } from '../intake/json-submission';
import { MeterRegistryService, type MeterPointView } from '../registry/meter-registry.service';
import { registryRefusal } from '../registry/registry-refusal';
import type { MeterIngestConfig } from '../config';

const MAX_METERS_PER_REQUEST = 100_000;

function bodyOf(request: Request): unknown {
  return parseJsonBody(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
}

/** The meter registry over HTTP: register in batches, change, retire, read. */
@Controller('meters')
export class MetersController {
  constructor(
    private readonly registry: MeterRegistryService,
    @Inject(SERVICE_CONFIG) private readonly config: MeterIngestConfig,
  ) {}

  @Post()
  @HttpCode(201)
  async register(@Req() request: Request, @Headers('authorization') authorization: string | undefined): Promise<{ registered: number; unchanged: number }> {
    const { requester, body } = authoriseRegistryRequest(authorization, bodyOf(request), 'register', null, this.config.METER_INGEST_OPERATOR_TOKEN);
    const entries = body.meters;
    if (!Array.isArray(entries) || entries.length === 0) throw new DomainError('invalid', 'MALFORMED_BODY', 'meters', 'must be a non-empty array of meter points');
    if (entries.length > MAX_METERS_PER_REQUEST) throw new DomainError('too-large', 'TOO_MANY_METERS', 'meters', `at most ${MAX_METERS_PER_REQUEST} per request`);
    for (const key of Object.keys(body)) if (key !== 'meters') throw new DomainError('invalid', 'MALFORMED_BODY', key, 'unknown field');
    const commands: RegisterMeterPoint[] = [];
    const errors: DomainError[] = [];
    entries.forEach((entry, index) => {
      try {
        commands.push(parseRegisterCommand(entry, `meters[${index}]`));
      } catch (error) {
        if (error instanceof DomainError) errors.push(error);
        else throw error;
      }
    });
    if (errors.length > 0) throw registryRefusal(errors.slice(0, 1000));
    const outcome = await this.registry.apply(commands, requester);
    return { registered: outcome.points.length, unchanged: outcome.unchanged };
  }

  @Patch(':meterId')
  async change(@Param('meterId') meterId: string, @Req() request: Request, @Headers('authorization') authorization: string | undefined): Promise<MeterPointVersionJson> {
    const id = parseMeterId(meterId);
    const { requester, body } = authoriseRegistryRequest(authorization, bodyOf(request), 'change', id, this.config.METER_INGEST_OPERATOR_TOKEN);
    const outcome = await this.registry.apply([parseChangeCommand(id, body)], requester);
    return outcome.points[0];
  }

  /** Body `{ effectiveAt }`; clients that send no body with DELETE may use `?effectiveAt=`. */
  @Delete(':meterId')
  async retire(
    @Param('meterId') meterId: string,
    @Req() request: Request,
    @Headers('authorization') authorization: string | undefined,
    @Query('effectiveAt') effectiveAt: string | undefined,
  ): Promise<MeterPointVersionJson> {
    const id = parseMeterId(meterId);
    const sent = Buffer.isBuffer(request.body) && request.body.length > 0 ? bodyOf(request) : { effectiveAt };
    const { requester, body } = authoriseRegistryRequest(authorization, sent, 'retire', id, this.config.METER_INGEST_OPERATOR_TOKEN);
    const outcome = await this.registry.apply([parseRetireCommand(id, body)], requester);
    return outcome.points[0];
  }

  @Get(':meterId')
  async get(@Param('meterId') meterId: string): Promise<MeterPointView> {
    const view = await this.registry.get(parseMeterId(meterId));
    if (!view) throw new DomainError('not-found', 'UNKNOWN_METER', 'meterId', 'no meter point with this id is registered');
    return view;
  }
}
