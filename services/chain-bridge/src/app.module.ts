import { Module } from '@nestjs/common';
import { BridgeRuntime } from './chain/bridge.runtime';
import { SettledController } from './commits/settled.controller';
import { ClosedController } from './finalization/closed.controller';
import { ProofsController } from './proofs/proofs.controller';
import { StatusController } from './status/status.controller';

/**
 * chain-bridge: settled periods to the settlement cascade, confirmations, finalization, and
 * proofs. Messaging, database, telemetry, config, health and metrics come from service-kit's
 * global BackboneModule.
 */
@Module({ controllers: [ProofsController, StatusController, SettledController, ClosedController], providers: [BridgeRuntime] })
export class AppModule {}
