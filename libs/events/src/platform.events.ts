import { z } from 'zod';
import { defineEvent } from './define-event';

/**
 * A message no consumer could process: decode or validation failure, or redelivery
 * exhausted. Published on `platform.message.deadlettered.<stream>` with the reason.
 */
export const MessageDeadLettered = defineEvent({
  type: 'platform.message.deadlettered',
  schemaVersion: 1,
  domain: 'platform',
  entity: 'message',
  pastTense: 'deadlettered',
  keyed: true,
  schema: z.object({
    stream: z.string(),
    consumer: z.string(),
    subject: z.string(),
    streamSequence: z.number().int().nonnegative(),
    deliveries: z.number().int().positive(),
    reason: z.string(),
    /** The original payload, base64, so nothing is lost. */
    payloadBase64: z.string(),
  }),
});
