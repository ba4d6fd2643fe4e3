import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import { CLOCK, DATA_SOURCE } from '@gridledger/service-kit';
import { IntakeExceptionFilter } from './http/intake-exception.filter';
import { MetersController } from './http/meters.controller';
import { RawBodyParsers } from './http/raw-body.parsers';
import { ReadingsController } from './http/readings.controller';
import { IntakeService } from './intake/intake.service';
import { ReadingsSubmitResponder } from './nats/readings-submit.responder';
import { MeterRegistryService } from './registry/meter-registry.service';

/** Registry and intake: HTTP controllers, the NATS submit subject, one pipeline. */
@Module({
  controllers: [ReadingsController, MetersController],
  providers: [
    RawBodyParsers,
    IntakeService,
    ReadingsSubmitResponder,
    { provide: MeterRegistryService, useFactory: (dataSource: DataSource, clock: Clock) => new MeterRegistryService(dataSource, clock), inject: [DATA_SOURCE, CLOCK] },
    { provide: APP_FILTER, useClass: IntakeExceptionFilter },
  ],
})
export class MeterIngestModule {}
