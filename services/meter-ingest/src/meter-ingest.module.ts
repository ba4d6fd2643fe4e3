import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import type { MessagingClient } from '@gridledger/messaging';
import { CLOCK, DATA_SOURCE, MESSAGING, SERVICE_CONFIG } from '@gridledger/service-kit';
import type { MeterIngestConfig } from './config';
import { MetersController } from './http/meters.controller';
import { RawBodyParsers } from './http/raw-body.parsers';
import { ReadingsController } from './http/readings.controller';
import { IntakeService } from './intake/intake.service';
import { ReadingsSubmitResponder } from './nats/readings-submit.responder';
import { MeterRegistryService } from './registry/meter-registry.service';
import { ManifestPublisher } from './manifests/manifest.publisher';
import { ManifestWorker } from './manifests/manifest.worker';
import { ResendResponder } from './manifests/resend.responder';
import { ManifestsRepository } from './persistence/manifests.repository';
import { ManifestSegments } from './manifests/manifest-segments';

/** Registry and intake: HTTP controllers, the NATS submit subject, one pipeline; manifests and re-sends. */
@Module({
  controllers: [ReadingsController, MetersController, ReadingsSubmitResponder, ResendResponder],
  providers: [
    RawBodyParsers,
    IntakeService,
    ManifestsRepository,
    {
      provide: ManifestSegments,
      useFactory: (config: MeterIngestConfig) => new ManifestSegments(config.METER_INGEST_MANIFEST_LINES_MIB * 2 ** 20),
      inject: [SERVICE_CONFIG],
    },
    ManifestWorker,
    {
      provide: ManifestPublisher,
      useFactory: (dataSource: DataSource, manifests: ManifestsRepository, clock: Clock, messaging: MessagingClient) => new ManifestPublisher(dataSource, manifests, clock, messaging),
      inject: [DATA_SOURCE, ManifestsRepository, CLOCK, MESSAGING],
    },
    {
      provide: MeterRegistryService,
      useFactory: (dataSource: DataSource, clock: Clock, config: MeterIngestConfig) => new MeterRegistryService(dataSource, clock, config.METER_INGEST_CORRECTION_WINDOW_MS),
      inject: [DATA_SOURCE, CLOCK, SERVICE_CONFIG],
    },
  ],
})
export class MeterIngestModule {}
