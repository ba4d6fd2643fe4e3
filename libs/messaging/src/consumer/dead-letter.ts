import { context, trace } from '@opentelemetry/api';
import type { JsMsg } from 'nats';
import { MessageDeadLettered, type EventOf } from '@gridledger/events';
import type { MessagingClient } from '../messaging-client';
import type { Delivery } from './delivery';

/** The dead letter for a message a consumer gives up on: the reason and the original payload. */
export function deadLetterFor(msg: JsMsg, stream: string, consumer: string, subject: string, reason: string, at: Date): EventOf<typeof MessageDeadLettered> {
  return MessageDeadLettered.create({
    idParts: [stream, consumer, String(msg.info.streamSequence), String(msg.info.redeliveryCount)],
    occurredAt: at,
    data: {
      stream,
      consumer,
      subject,
      streamSequence: msg.info.streamSequence,
      deliveries: msg.info.redeliveryCount,
      reason,
      payloadBase64: Buffer.from(msg.data).toString('base64'),
    },
  });
}

/**
 * Publishes the dead letter on `platform.message.deadlettered.<STREAM>`, then terminates the
 * message. Returns false (message nak'd for a later retry) when the publish failed: without
 * the dead letter recorded, terminating would lose the message.
 */
export async function deadLetter(messaging: MessagingClient, delivery: Delivery, stream: string, consumer: string, reason: string, retryDelayMs: number): Promise<boolean> {
  const { msg } = delivery;
  const envelope = deadLetterFor(msg, stream, consumer, messaging.ns.unprefix(msg.subject), reason, new Date());
  try {
    await context.with(trace.setSpan(context.active(), delivery.span), () => messaging.publishEvent(MessageDeadLettered, envelope, stream));
  } catch {
    msg.nak(retryDelayMs);
    return false;
  }
  // A bare +TERM: nats-server 2.9 (Debian's) does not parse `+TERM <reason>` and leaves the
  // message pending, so it came back after the ack wait and was dead-lettered again (and held
  // a slot of max_ack_pending meanwhile). The reason is in the dead letter.
  msg.term();
  return true;
}
