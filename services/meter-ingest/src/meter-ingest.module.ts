import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '@gridledger/service-kit';
import { IntakeExceptionFilter } from './http/intake-exception.filter';
import { MetersController } from './http/meters.controller';
import { RawBodyParsers } from './http/raw-body.parsers';
import { ReadingsController } from './http/readings.controller';
import { IntakeService } from './intake/intake.service';
import { ReadingsSubmitResponder } from './nats/readings-submit.responder';
import { MeterRegistryService } from './registry/meter-registry.service';

/** Registry and intake: HTTP controllers, the NATS submit subject, one pipeline. */
@Module({
  controllers: [ReadingsController, MetersController, ReadingsSubmitResponder],
  providers: [
    RawBodyParsers,
    IntakeService,
    { provide: MeterRegistryService, useFactory: (dataSource: DataSource) => new MeterRegistryService(dataSource), inject: [DATA_SOURCE] },
    { provide: APP_FILTER, useClass: IntakeExceptionFilter },
  ],
})
export class MeterIngestModule {}
