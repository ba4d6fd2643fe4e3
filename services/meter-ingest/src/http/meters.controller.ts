import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { MARKET, type VerifiedRequest } from '@gridledger/auth';
import { DomainError } from '@gridledger/domain';
import { AuthService, RawBody, ReadSession, SessionAddress, Signed, SignedWrite } from '@gridledger/service-kit';
import { isPlainObject, parseChangeCommand, parseMeterId, parseRegisterCommand, parseRetireCommand, type MeterPointVersionJson, type RegisterMeterPoint, type Requester } from '@gridledger/metering';
import { parseJsonBody } from '../intake/json-submission';
import { MeterRegistryService, type MeterPointView } from '../registry/meter-registry.service';
import { registryRefusal } from '../registry/registry-refusal';

const MAX_METERS_PER_REQUEST = 100_000;

function objectBody(raw: Buffer): Record<string, unknown> {
  const body = parseJsonBody(raw);
  if (!isPlainObject(body)) throw new DomainError('invalid', 'MALFORMED_BODY', '(body)', 'body must be a JSON object');
  return body;
}

/**
 * The meter registry over HTTP. Changes are EIP-712 signed requests (docs/trust.md) by the
 * DSO of the meter point's grid area or by the market operator, naming the point's MPO;
 * the signature is checked over the raw body before it is parsed. Reads need a session of
 * the point's MPO, supplier, DSO or the market operator.
 */
@Controller('meters')
export class MetersController {
  constructor(
    private readonly registry: MeterRegistryService,
    private readonly auth: AuthService,
  ) {}

  /** Roles looked up per grid area as the decider asks (one set lookup each). */
  private requester(signer: string): Requester {
    const roles = this.auth.roles;
    const isDso = (gridArea: string) => gridArea !== '' && roles.has('DSO', gridArea, signer);
    return { address: signer, mayManage: (gridArea) => roles.has('MARKET_OPERATOR', MARKET, signer) || isDso(gridArea), isDso };
  }

  @Post()
  @HttpCode(201)
  @SignedWrite({ rawBody: true })
  async register(@RawBody() raw: Buffer, @Signed() signed: VerifiedRequest): Promise<{ registered: number; unchanged: number }> {
    const body = objectBody(raw);
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
    const outcome = await this.registry.apply(commands, this.requester(signed.signer));
    return { registered: outcome.points.length, unchanged: outcome.unchanged };
  }

  @Patch(':meterId')
  @SignedWrite({ rawBody: true })
  async change(@Param('meterId') meterId: string, @RawBody() raw: Buffer, @Signed() signed: VerifiedRequest): Promise<MeterPointVersionJson> {
    const id = parseMeterId(meterId);
    const outcome = await this.registry.apply([parseChangeCommand(id, objectBody(raw))], this.requester(signed.signer));
    return outcome.points[0];
  }

  /** Body `{ effectiveAt }`; clients that send no body with DELETE may use `?effectiveAt=` (signed with the path). */
  @Delete(':meterId')
  @SignedWrite({ rawBody: true })
  async retire(@Param('meterId') meterId: string, @RawBody() raw: Buffer, @Signed() signed: VerifiedRequest, @Query('effectiveAt') effectiveAt: string | undefined): Promise<MeterPointVersionJson> {
    const id = parseMeterId(meterId);
    const body = raw.length > 0 ? objectBody(raw) : { effectiveAt };
    const outcome = await this.registry.apply([parseRetireCommand(id, body)], this.requester(signed.signer));
    return outcome.points[0];
  }

  @Get(':meterId')
  @ReadSession()
  async get(@Param('meterId') meterId: string, @SessionAddress() reader: string): Promise<MeterPointView> {
    const view = await this.registry.get(parseMeterId(meterId));
    // The same answer for "unknown" and "not yours": a stranger learns nothing about the point.
    if (!view || !this.mayRead(view, reader)) throw new DomainError('not-found', 'UNKNOWN_METER', 'meterId', 'no meter point with this id that this session may read');
    return view;
  }

  /** The point's MPO or supplier (named in any version), its grid area's DSO, the market operator. */
  private mayRead(view: MeterPointView, reader: string): boolean {
    const roles = this.auth.roles;
    if (roles.has('MARKET_OPERATOR', MARKET, reader) || (view.gridArea !== '' && roles.has('DSO', view.gridArea, reader))) return true;
    return view.versions.some((version) => version.mpo === reader || version.supplier?.toLowerCase() === reader.toLowerCase());
  }
}
