import { Module } from '@nestjs/common';
import { AuthModule } from '@gridledger/service-kit';
import { MeterIngestModule } from './meter-ingest.module';

/**
 * meter-ingest's own modules. Messaging, database, telemetry, config, health and metrics
 * come from service-kit's global BackboneModule; signed writes, sessions and the role mirror
 * from its AuthModule.
 */
@Module({ imports: [AuthModule.forRoot(), MeterIngestModule] })
export class AppModule {}
