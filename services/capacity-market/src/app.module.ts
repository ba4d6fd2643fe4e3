import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PeriodWorker } from './allocation/period.worker';
import { CapacityErrorFilter } from './http/capacity-error.filter';
import { IngestConsumers } from './ingest/ingest.consumers';
import { PlantsController } from './shares/plants.controller';
import { SharesService } from './shares/shares.service';
import { HoldersController } from './statements/holders.controller';

/**
 * capacity-market: plants, holders and shares over HTTP; meter values and prices from
 * JetStream; the period worker computes allocations and publishes them through the outbox.
 * Messaging, database, telemetry, config, the clock (CLOCK), health and metrics come from service-kit.
 */
@Module({
  controllers: [PlantsController, HoldersController],
  providers: [SharesService, PeriodWorker, IngestConsumers, { provide: APP_FILTER, useClass: CapacityErrorFilter }],
})
export class AppModule {}
