import { Module } from '@nestjs/common';
import { MeterIngestModule } from './meter-ingest.module';

/**
 * meter-ingest's own modules. Messaging, database, telemetry, config, health and metrics
 * come from service-kit's global BackboneModule.
 */
@Module({ imports: [MeterIngestModule] })
export class AppModule {}
