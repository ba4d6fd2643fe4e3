import { Module } from '@nestjs/common';
import { AuthModule } from '@gridledger/service-kit';
import { ChainModule } from './chain/chain.module';
import { ChainWorkerModule } from './chain/chain-worker.module';
import { CommitsModule } from './commits/commits.module';
import { FinalizationModule } from './finalization/finalization.module';
import { BridgeConsumers } from './ingest/bridge-consumers';
import { StatusReadRepository } from './persistence/status-read.repository';
import { ProofsController } from './proofs/proofs.controller';
import { FinalizerConsumers } from './ingest/finalizer-consumers';
import { FinalizationStatusController } from './status/finalization-status.controller';
import { ReconciliationResponder } from './status/reconciliation.responder';
import { AlarmsController, StatusController } from './status/status.controller';

/**
 * chain-bridge as committer (CHAIN_MODE=committer, the BRP's key): settled versions to the
 * settlement cascade, confirmations, and proofs. Every client, repository, worker and the
 * clock are Nest providers: ChainModule (the chain), CommitsModule, ChainWorkerModule (the
 * loop; the finalization round stays disabled without a TSO key). Messaging, database,
 * telemetry, config, clock, health and metrics come from service-kit's global BackboneModule;
 * read sessions (proofs, alarms) from its AuthModule.
 */
@Module({
  imports: [AuthModule.forRoot(), ChainModule, CommitsModule, FinalizationModule, ChainWorkerModule],
  controllers: [ProofsController, StatusController, AlarmsController, BridgeConsumers, ReconciliationResponder],
  providers: [StatusReadRepository],
})
export class AppModule {}

/**
 * chain-bridge as finalizer (CHAIN_MODE=finalizer, its own Deployment, the TSO's key and no
 * other): period summaries in, each checked against the commitments on chain, finalizations
 * out. Its own schema and durable consumer (service name chain-finalizer); the market operator's
 * read session for its alarms (AuthModule).
 */
@Module({
  imports: [AuthModule.forRoot(), ChainModule, FinalizationModule, ChainWorkerModule],
  controllers: [FinalizationStatusController, AlarmsController, FinalizerConsumers],
  providers: [StatusReadRepository],
})
export class FinalizerModule {}
