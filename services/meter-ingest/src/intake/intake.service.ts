import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, SERVICE_CONFIG } from '@gridledger/service-kit';
import type { MeterIngestConfig } from '../config';
import { IntakePipeline } from './intake.pipeline';
import { verifyJsonSubmission } from './json-submission';
import { verifyMsconsSubmission, type MsconsUpload } from './mscons-submission';
import type { IntakeAnswer, IntakeSource } from './intake.types';

/** The doors (JSON, MSCONS) in front of the one pipeline. */
@Injectable()
export class IntakeService {
  private readonly pipeline: IntakePipeline;
  private readonly limits: { maxEntries: number };

  constructor(@Inject(DATA_SOURCE) dataSource: DataSource, @Inject(SERVICE_CONFIG) config: MeterIngestConfig) {
    this.pipeline = new IntakePipeline(dataSource);
    this.limits = { maxEntries: config.METER_INGEST_MAX_BATCH_ENTRIES };
  }

  submitJson(raw: Buffer, source: IntakeSource): Promise<{ answer: IntakeAnswer; replayed: boolean }> {
    return this.pipeline.submit(verifyJsonSubmission(raw, source, this.limits));
  }

  submitMscons(upload: MsconsUpload, source: IntakeSource): Promise<{ answer: IntakeAnswer; replayed: boolean }> {
    return this.pipeline.submit(verifyMsconsSubmission(upload, source, this.limits));
  }
}
