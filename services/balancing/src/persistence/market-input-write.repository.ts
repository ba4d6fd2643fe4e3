import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { PeriodLength } from '@gridledger/domain';
import { DATA_SOURCE } from '@gridledger/service-kit';
import { recordPrices } from '../ingest/prices.handler';
import { recordSchedule } from '../ingest/schedules';

/** Prices and schedules the market operator sets over HTTP, stored as the events that carry them are. */
@Injectable()
export class MarketInputWriteRepository {
  constructor(@Inject(DATA_SOURCE) private readonly dataSource: DataSource) {}

  setPrices(periodId: string, imbalancePricePerMWh: bigint, energyPricePerMWh: bigint | null): Promise<void> {
    return this.dataSource.transaction((em) => recordPrices(em, periodId, imbalancePricePerMWh, energyPricePerMWh));
  }

  /** True when the schedule changed what was stored. API schedules carry no source version: they replace each other in arrival order. */
  setSchedule(schedule: { scheduleId: string; periodId: string; fromGroup: string; toGroup: string; energyWh: bigint }, periodLength: PeriodLength, gateDeadlineAfterEndMs: number): Promise<boolean> {
    return this.dataSource.transaction((em) => recordSchedule(em, schedule, 0, periodLength, gateDeadlineAfterEndMs));
  }
}
