import { Module } from '@nestjs/common';
import { AuthModule, PROBLEM_DETAILS_HOOKS } from '@gridledger/service-kit';
import { PeriodWorker } from './allocation/period.worker';
import { CapacityAccess } from './http/capacity-access';
import { CapacityRefusals } from './http/capacity-refusals';
import { IngestConsumers } from './ingest/ingest.consumers';
import { HoldersReadRepository } from './persistence/holders-read.repository';
import { PlantsReadRepository } from './persistence/plants-read.repository';
import { PlantsController } from './shares/plants.controller';
import { ExchangesReadRepository } from './persistence/exchanges-read.repository';
import { ReconciliationResponder } from './reconciliation/reconciliation.responder';
import { ShareRegistryRebuild } from './rebuild/share-registry.rebuild';
import { SharesService } from './shares/shares.service';
import { HoldersController } from './statements/holders.controller';

/**
 * capacity-market: plants, holders and shares over HTTP; meter values and prices from
 * JetStream; the period worker computes allocations and publishes them through the outbox.
 * Messaging, database, telemetry, config, the clock (CLOCK), health and metrics come from service-kit;
 * signed writes, read sessions and the role mirror from its AuthModule.
 */
@Module({
  imports: [AuthModule.forRoot()],
  controllers: [PlantsController, HoldersController, IngestConsumers, ReconciliationResponder],
  providers: [
    ShareRegistryRebuild,
    SharesService,
    CapacityAccess,
    PeriodWorker,
    PlantsReadRepository,
    ExchangesReadRepository,
    HoldersReadRepository,
    { provide: PROBLEM_DETAILS_HOOKS, useClass: CapacityRefusals },
  ],
})
export class AppModule {}
