import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { METER_READINGS_SUBMIT_SUBJECT } from '@gridledger/events';
import { natsRequest } from '@gridledger/messaging';
import { LOGGER, toProblem } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';
import { IntakeService } from '../intake/intake.service';

export const SUBMIT_SUBJECT = METER_READINGS_SUBMIT_SUBJECT;

/**
 * `meter.readings.submit` (core NATS request/reply, queue group shared by replicas): the
 * payload is the same signed JSON batch as POST /readings, taken as raw bytes; the reply is
 * the HTTP answer (problem details when refused) with its statusCode. Replies only after the
 * Postgres commit. The head-end's trace continues through intake (traceparent in the request headers).
 */
@Controller()
export class ReadingsSubmitResponder {
  constructor(
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly intake: IntakeService,
  ) {}

  @MessagePattern(SUBMIT_SUBJECT, natsRequest({ queue: 'meter-ingest', raw: true }))
  async answer(@Payload() raw: Buffer): Promise<Record<string, unknown>> {
    try {
      const { answer, replayed } = await this.intake.submitJson(raw, 'nats');
      return { statusCode: 200, replayed, ...answer };
    } catch (error) {
      const { status, problem } = toProblem(error);
      if (status >= 500) this.logger.error(`submit failed: ${error instanceof Error ? error.message : String(error)}`, undefined, 'ReadingsSubmitResponder');
      return { ...problem, statusCode: status };
    }
  }
}
