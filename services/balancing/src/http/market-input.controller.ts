import { Body, Controller, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { groupIdString, minorUnitsString, periodIdString, whString } from '@gridledger/events';
import type { Clock } from '@gridledger/domain';
import { MARKET, type VerifiedRequest } from '@gridledger/auth';
import { AuthService, CLOCK, DATA_SOURCE, SERVICE_CONFIG, Signed, SignedWrite, parseOrRefuse } from '@gridledger/service-kit';
import { BalancingConfig, inputWindowAt } from '../config';
import { recordPrices } from '../ingest/prices.handler';
import { recordSchedule } from '../ingest/schedules';

export const priceParams = z.object({ periodId: periodIdString });
export const priceBody = z
  .object({
    /** Minor units (cents) per MWh as a decimal string of an integer. */
    imbalancePricePerMWh: minorUnitsString,
    energyPricePerMWh: minorUnitsString.optional(),
  })
  .strict();

export const scheduleBody = z
  .object({
    scheduleId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1-128 letters, digits, . _ : -'),
    periodId: periodIdString,
    periodLength: z.enum(['PT15M', 'PT60M']).default('PT15M'),
    fromGroup: groupIdString,
    toGroup: groupIdString,
    energyWh: whString.refine((value) => !value.startsWith('-'), 'must not be negative'),
  })
  .strict()
  .refine((body) => body.fromGroup !== body.toGroup, { message: 'must differ from fromGroup', path: ['toGroup'] });

/**
 * Prices (by the market operator) and schedules (by the BRP of the sending group) through the
 * API; events do the same. Both are EIP-712 signed requests (docs/trust.md), checked before
 * the body is parsed.
 */
@Controller()
export class MarketInputController {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: BalancingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly auth: AuthService,
  ) {}

  @Put('prices/:periodId')
  @SignedWrite({ anyOf: [{ role: 'MARKET_OPERATOR', scope: MARKET }] })
  async putPrice(@Param() params: Record<string, string>, @Body() body: unknown) {
    const { periodId } = parseOrRefuse(priceParams, params, '(path)');
    const price = parseOrRefuse(priceBody, body, '(body)');
    await this.dataSource.transaction((em) =>
      recordPrices(em, periodId, BigInt(price.imbalancePricePerMWh), price.energyPricePerMWh === undefined ? null : BigInt(price.energyPricePerMWh), inputWindowAt(this.config, this.clock.now().getTime())),
    );
    return { periodId, imbalancePricePerMWh: price.imbalancePricePerMWh, energyPricePerMWh: price.energyPricePerMWh ?? null };
  }

  @Post('schedules')
  @HttpCode(200)
  @SignedWrite()
  async postSchedule(@Body() body: unknown, @Signed() signed: VerifiedRequest) {
    const schedule = parseOrRefuse(scheduleBody, body, '(body)');
    // The sending group's BRP schedules its exchange; the receiving group has no say here.
    this.auth.require(signed.signer, [{ role: 'BRP', scope: schedule.fromGroup }], `schedule energy out of group ${schedule.fromGroup}`, 'fromGroup');
    const changed = await this.dataSource.transaction((em) =>
      recordSchedule(
        em,
        { scheduleId: `api:${schedule.scheduleId}`, periodId: schedule.periodId, fromGroup: schedule.fromGroup, toGroup: schedule.toGroup, energyWh: BigInt(schedule.energyWh) },
        // API schedules carry no source version: they replace each other in arrival order.
        0,
        schedule.periodLength,
        this.config.BALANCING_GATE_DEADLINE_MS,
        inputWindowAt(this.config, this.clock.now().getTime()),
      ),
    );
    return { ...schedule, changed };
  }
}
