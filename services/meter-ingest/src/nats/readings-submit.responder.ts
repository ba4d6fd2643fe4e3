import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { METER_READINGS_SUBMIT_SUBJECT } from '@gridledger/events';
import { natsRequest, type RequestContext } from '@gridledger/messaging';
import { AuthService, LOGGER, toProblem } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';
import { IntakeService } from '../intake/intake.service';

export const SUBMIT_SUBJECT = METER_READINGS_SUBMIT_SUBJECT;
/** What a NATS batch is signed as: method NATS, path the subject (docs/trust.md). */
export const SUBMIT_SIGNED_AS = { method: 'NATS', path: SUBMIT_SUBJECT } as const;

/**
 * `meter.readings.submit` (core NATS request/reply, queue group shared by replicas): the
 * payload is the same JSON batch as POST /readings, taken as raw bytes, signed as a request
 * with method `NATS` and path `meter.readings.submit` (headers x-gl-*; nonce = SHA-256 of the
 * payload); the reply is the HTTP answer (problem details when refused) with its statusCode.
 * Replies only after the Postgres commit. The head-end's trace continues through intake.
 */
@Controller()
export class ReadingsSubmitResponder {
  constructor(
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly intake: IntakeService,
    private readonly auth: AuthService,
  ) {}

  @MessagePattern(SUBMIT_SUBJECT, natsRequest({ queue: 'meter-ingest', raw: true }))
  async answer(@Payload() raw: Buffer, @Ctx() context: RequestContext): Promise<Record<string, unknown>> {
    try {
      const signed = await this.auth.verifyWrite({ ...SUBMIT_SIGNED_AS, body: raw, header: (name) => context.headers?.get(name) || undefined }, { nonce: 'body-digest' });
      const { answer, replayed } = await this.intake.submitJson(raw, 'nats', signed, SUBMIT_SIGNED_AS);
      return { statusCode: 200, replayed, ...answer };
    } catch (error) {
      const { status, problem } = toProblem(error);
      if (status >= 500) this.logger.error(`submit failed: ${error instanceof Error ? error.message : String(error)}`, undefined, 'ReadingsSubmitResponder');
      return { ...problem, statusCode: status };
    }
  }
}
