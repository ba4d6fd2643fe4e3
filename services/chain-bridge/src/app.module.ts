import { Module } from '@nestjs/common';
import { BridgeRuntime } from './chain/bridge.runtime';
import { StatusReadRepository } from './persistence/status-read.repository';
import { ProofsController } from './proofs/proofs.controller';
import { StatusController } from './status/status.controller';

/**
 * chain-bridge: settled periods to the settlement cascade, confirmations, finalization, and
 * proofs. Messaging, database, telemetry, config, health and metrics come from service-kit's
 * global BackboneModule.
 */
@Module({ controllers: [ProofsController, StatusController], providers: [BridgeRuntime, StatusReadRepository] })
export class AppModule {}
