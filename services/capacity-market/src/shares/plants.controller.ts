import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { PlantKind, plantNotRegistered } from '@gridledger/capacity';
import { InjectClock, InjectDataSource, PageQuery, PageRequest, type Page } from '@gridledger/service-kit';
import type { Clock } from '@gridledger/domain';
import type { DataSource } from 'typeorm';
import { issueBody, parseBody, registerPlantBody, retireBody, transferBody } from '../http/request-schemas';
import { PlantsReadRepository, type HoldingView, type PlantView } from '../persistence/plants-read.repository';
import { ShareCommandResult, SharesService } from './shares.service';

@Controller('plants')
export class PlantsController {
  constructor(
    private readonly shares: SharesService,
    private readonly plants: PlantsReadRepository,
    @InjectDataSource() private readonly db: DataSource,
    @InjectClock() private readonly clock: Clock,
  ) {}

  @Post()
  async register(@Body() body: unknown): Promise<{ plantId: string }> {
    const input = parseBody(registerPlantBody, body);
    await this.shares.registerPlant({ ...input, kind: input.kind as PlantKind }, this.clock.now());
    return { plantId: input.plantId };
  }

  /** Every plant, by id (byte order), a page at a time. */
  @Get()
  async list(@PageQuery(['string']) page: PageRequest): Promise<Page<PlantView>> {
    return page.page(await this.plants.list(this.db.manager, page.after, page.fetchLimit), (plant) => [plant.plantId]);
  }

  @Get(':plantId')
  async get(@Param('plantId') plantId: string): Promise<PlantView> {
    return this.plant(plantId);
  }

  /** The plant's current holdings, by holder id, a page at a time (a plant may have very many holders). */
  @Get(':plantId/holdings')
  async holdings(@Param('plantId') plantId: string, @PageQuery(['string']) page: PageRequest): Promise<Page<HoldingView>> {
    await this.plant(plantId);
    return page.page(await this.plants.holdings(this.db.manager, plantId, page.after, page.fetchLimit), (holding) => [holding.holderId]);
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

  private async plant(plantId: string): Promise<PlantView> {
    const plant = await this.plants.find(this.db.manager, plantId);
    if (!plant) throw plantNotRegistered(plantId);
    return plant;
  }
}

function view(result: ShareCommandResult): unknown {
  return {
    effectiveAt: result.effectiveAt,
    events: result.events.map((event) => event.type),
    balances: Object.fromEntries(result.balances.map(([holderId, shares]) => [holderId, shares.toString()])),
  };
}
