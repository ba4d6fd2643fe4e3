import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from 'nats';
import { context } from '@opentelemetry/api';
import { headerCarrier, rpcSubject, type MessagingClient } from '@gridledger/messaging';
import { LOGGER, MESSAGING, toProblem } from '@gridledger/service-kit';
import { extractTraceContext, type JsonLogger } from '@gridledger/telemetry';
import { IntakeService } from '../intake/intake.service';

export const SUBMIT_SUBJECT = 'meter.readings.submit';

/**
 * `meter.readings.submit` (core NATS request/reply, queue group shared by replicas): the
 * payload is the same signed JSON batch as POST /readings, taken as raw bytes; the reply is
 * the HTTP answer (problem details when refused) with its statusCode. Replies only after the Postgres commit.
 */
@Injectable()
export class ReadingsSubmitResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription: Subscription | undefined;

  constructor(
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly intake: IntakeService,
  ) {}

  onApplicationBootstrap(): void {
    const subject = this.messaging.subject(rpcSubject(SUBMIT_SUBJECT));
    this.subscription = this.messaging.nc.subscribe(subject, {
      queue: 'meter-ingest',
      callback: (error, msg) => {
        if (error) return;
        // The head-end's trace continues through intake (traceparent in the request headers).
        const parent = extractTraceContext(msg.headers ? headerCarrier(msg.headers) : undefined);
        void context.with(parent, () => this.answer(Buffer.from(msg.data))).then((reply) => msg.respond(Buffer.from(JSON.stringify(reply))));
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  async answer(raw: Buffer): Promise<Record<string, unknown>> {
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
