import { Body, Controller, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { groupIdString, minorUnitsString, periodIdString, whString } from '@gridledger/events';
import type { Clock } from '@gridledger/domain';
import { CLOCK, DATA_SOURCE, SERVICE_CONFIG, parseOrRefuse } from '@gridledger/service-kit';
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

/** Prices and schedules set by the market operator through the API (events do the same). */
@Controller()
export class MarketInputController {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(SERVICE_CONFIG) private readonly config: BalancingConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Put('prices/:periodId')
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
  async postSchedule(@Body() body: unknown) {
    const schedule = parseOrRefuse(scheduleBody, body, '(body)');
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
