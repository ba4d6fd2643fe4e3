import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { PlantKind, plantNotRegistered } from '@gridledger/capacity';
import { InjectClock, InjectDataSource } from '@gridledger/service-kit';
import type { Clock } from '@gridledger/domain';
import { issueBody, parseBody, registerPlantBody, retireBody, transferBody } from '../http/request-schemas';
import { ShareCommandResult, SharesService } from './shares.service';

@Controller('plants')
export class PlantsController {
  constructor(
    private readonly shares: SharesService,
    @InjectDataSource() private readonly db: DataSource,
    @InjectClock() private readonly clock: Clock,
  ) {}

  @Post()
  async register(@Body() body: unknown): Promise<{ plantId: string }> {
    const input = parseBody(registerPlantBody, body);
    await this.shares.registerPlant({ ...input, kind: input.kind as PlantKind }, this.clock.now());
    return { plantId: input.plantId };
  }

  @Get()
  async list(): Promise<unknown[]> {
    return this.db.query(
      `SELECT plant_id AS "plantId", kind, meter_id AS "meterId", capacity_w::text AS "capacityW", operator, group_id AS "groupId",
              fee_per_mw_period_cents::text AS "feePerMWPeriodCents", issued_w::text AS "issuedW"
       FROM plants ORDER BY plant_id COLLATE "C"`,
    );
  }

  @Get(':plantId')
  async get(@Param('plantId') plantId: string): Promise<unknown> {
    const [plant] = (await this.db.query(
      `SELECT plant_id AS "plantId", kind, meter_id AS "meterId", capacity_w::text AS "capacityW", operator, group_id AS "groupId",
              fee_per_mw_period_cents::text AS "feePerMWPeriodCents", issued_w::text AS "issuedW"
       FROM plants WHERE plant_id = $1`,
      [plantId],
    )) as Record<string, unknown>[];
    if (!plant) throw plantNotRegistered(plantId);
    const holdings = await this.db.query(
      `SELECT holder_id AS "holderId", shares_w::text AS "sharesW", valid_from AS "validFrom" FROM holdings
       WHERE plant_id = $1 AND valid_to IS NULL ORDER BY holder_id COLLATE "C"`,
      [plantId],
    );
    return { ...plant, holdings };
  }

  @Post(':plantId/shares/issue')
  @HttpCode(200)
  async issue(@Param('plantId') plantId: string, @Body() body: unknown): Promise<unknown> {
    const input = parseBody(issueBody, body);
    return view(await this.shares.execute({ type: 'IssueShares', plantId, holderId: input.holderId, sharesW: input.sharesW }, this.clock.now()));
  }

  @Post(':plantId/shares/transfer')
  @HttpCode(200)
  async transfer(@Param('plantId') plantId: string, @Body() body: unknown): Promise<unknown> {
    const input = parseBody(transferBody, body);
    return view(await this.shares.execute({ type: 'TransferShares', plantId, ...input }, this.clock.now()));
  }

  @Post(':plantId/shares/retire')
  @HttpCode(200)
  async retire(@Param('plantId') plantId: string, @Body() body: unknown): Promise<unknown> {
    const input = parseBody(retireBody, body);
    return view(await this.shares.execute({ type: 'RetireShares', plantId, holderId: input.holderId, sharesW: input.sharesW }, this.clock.now()));
  }
}

function view(result: ShareCommandResult): unknown {
  return {
    effectiveAt: result.effectiveAt,
    events: result.events.map((event) => event.type),
    balances: Object.fromEntries(result.balances.map(([holderId, shares]) => [holderId, shares.toString()])),
  };
}
