import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import { RegistryError } from '@gridledger/metering';
import { CLOCK, DATA_SOURCE, PROBLEM_DETAILS_HOOKS, type ProblemDetailsHooks } from '@gridledger/service-kit';
import { MetersController } from './http/meters.controller';
import { RawBodyParsers } from './http/raw-body.parsers';
import { ReadingsController } from './http/readings.controller';
import { IntakeService } from './intake/intake.service';
import { ReadingsSubmitResponder } from './nats/readings-submit.responder';
import { MeterRegistryService } from './registry/meter-registry.service';
import { registryDomainError } from './registry/registry-refusal';

const problemHooks: ProblemDetailsHooks = { toDomainError: (error) => (error instanceof RegistryError ? registryDomainError(error) : undefined) };

/** Registry and intake: HTTP controllers, the NATS submit subject, one pipeline. */
@Module({
  controllers: [ReadingsController, MetersController],
  providers: [
    RawBodyParsers,
    IntakeService,
    ReadingsSubmitResponder,
    { provide: MeterRegistryService, useFactory: (dataSource: DataSource, clock: Clock) => new MeterRegistryService(dataSource, clock), inject: [DATA_SOURCE, CLOCK] },
    { provide: PROBLEM_DETAILS_HOOKS, useValue: problemHooks },
  ],
})
export class MeterIngestModule {}
