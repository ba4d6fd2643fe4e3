import { Module } from '@nestjs/common';
import { ChainModule } from './chain/chain.module';
import { ChainWorkerModule } from './chain/chain-worker.module';
import { CommitsModule } from './commits/commits.module';
import { FinalizationModule } from './finalization/finalization.module';
import { BridgeConsumers } from './ingest/bridge-consumers';
import { StatusReadRepository } from './persistence/status-read.repository';
import { ProofsController } from './proofs/proofs.controller';
import { ReconciliationResponder } from './status/reconciliation.responder';
import { StatusController } from './status/status.controller';

/**
 * chain-bridge: settled periods to the settlement cascade, confirmations, finalization, and
 * proofs. Every client, repository, worker and the clock are Nest providers: ChainModule (the
 * chain), CommitsModule, FinalizationModule, ChainWorkerModule (the loop). Messaging, database,
 * telemetry, config, clock, health and metrics come from service-kit's global BackboneModule.
 */
@Module({
  imports: [ChainModule, CommitsModule, FinalizationModule, ChainWorkerModule],
  controllers: [ProofsController, StatusController, BridgeConsumers, ReconciliationResponder],
  providers: [StatusReadRepository],
})
export class AppModule {}
