import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { VerifiedRequest } from '@gridledger/auth';
import { PlantKind, plantNotRegistered } from '@gridledger/capacity';
import { InjectClock, InjectDataSource, PageQuery, PageRequest, ReadSession, SessionAddress, Signed, SignedWrite, type Page } from '@gridledger/service-kit';
import type { Clock } from '@gridledger/domain';
import type { DataSource } from 'typeorm';
import { issueBody, parseBody, registerPlantBody, retireBody, transferBody } from '../http/request-schemas';
import { CapacityAccess } from '../http/capacity-access';
import { PlantsReadRepository, type HoldingView, type PlantView } from '../persistence/plants-read.repository';
import { ShareCommandResult, SharesService } from './shares.service';

/**
 * Plants and their shares. Writes are EIP-712 signed requests checked before the body is
 * parsed (docs/trust.md): a plant is registered by its PLANT_OPERATOR naming itself (or by the
 * market operator), its shares issued by its PLANT_OPERATOR, moved and retired only by their
 * holder. Plants are public market data; who holds them is read by the plant's operator or the
 * market operator in a session.
 */
@Controller('plants')
export class PlantsController {
  constructor(
    private readonly shares: SharesService,
    private readonly access: CapacityAccess,
    private readonly plants: PlantsReadRepository,
    @InjectDataSource() private readonly db: DataSource,
    @InjectClock() private readonly clock: Clock,
  ) {}

  @Post()
  @SignedWrite()
  async register(@Body() body: unknown, @Signed() signed: VerifiedRequest): Promise<{ plantId: string }> {
    const input = parseBody(registerPlantBody, body);
    this.access.registerPlant(signed.signer, input.plantId, input.operator);
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
  @ReadSession()
  async holdings(@Param('plantId') plantId: string, @PageQuery(['string']) page: PageRequest, @SessionAddress() reader: string): Promise<Page<HoldingView>> {
    this.access.readHoldings(reader, plantId);
    await this.plant(plantId);
    return page.page(await this.plants.holdings(this.db.manager, plantId, page.after, page.fetchLimit), (holding) => [holding.holderId]);
  }

  @Post(':plantId/shares/issue')
  @HttpCode(200)
  @SignedWrite()
  async issue(@Param('plantId') plantId: string, @Body() body: unknown, @Signed() signed: VerifiedRequest): Promise<unknown> {
    // The role is the plant's (the path's): checked before the body is read.
    this.access.issue(signed.signer, plantId);
    const input = parseBody(issueBody, body);
    return view(await this.shares.execute({ type: 'IssueShares', plantId, holderId: input.holderId, sharesW: input.sharesW }, this.clock.now()));
  }

  @Post(':plantId/shares/transfer')
  @HttpCode(200)
  @SignedWrite()
  async transfer(@Param('plantId') plantId: string, @Body() body: unknown, @Signed() signed: VerifiedRequest): Promise<unknown> {
    const input = parseBody(transferBody, body);
    this.access.holderItself(signed.signer, input.fromHolderId, 'fromHolderId', 'transfer');
    return view(await this.shares.execute({ type: 'TransferShares', plantId, ...input }, this.clock.now()));
  }

  @Post(':plantId/shares/retire')
  @HttpCode(200)
  @SignedWrite()
  async retire(@Param('plantId') plantId: string, @Body() body: unknown, @Signed() signed: VerifiedRequest): Promise<unknown> {
    const input = parseBody(retireBody, body);
    this.access.holderItself(signed.signer, input.holderId, 'holderId', 'retire');
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
