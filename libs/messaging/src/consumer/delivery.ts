import type { JsMsg } from 'nats';
import { SpanKind, trace, type Span } from '@opentelemetry/api';
import type { EventOf } from '@gridledger/events';
import { extractTraceContext, tracer } from '@gridledger/telemetry';
import type { ProcessingOutcome } from '../ack-decision';
import { decodeEvent } from '../decode';
import type { AnyEventDefinition } from '../messaging-client';
import type { Namespace } from '../namespace';
import { headerCarrier } from '../nats-headers';
import type { ReceivedEvent } from './consumer-options';

/** One message in hand: its consume span, the decoded event (when valid) and, once known, its outcome. */
export interface Delivery {
  readonly msg: JsMsg;
  readonly span: Span;
  readonly event?: ReceivedEvent;
  outcome?: ProcessingOutcome;
}

/** Starts the message's consume span (child of the producer's trace) and decodes it against the accepted events. */
export function receive(msg: JsMsg, consumer: string, accepted: ReadonlyMap<string, AnyEventDefinition>, ns: Namespace): Delivery {
  const parent = extractTraceContext(msg.headers ? headerCarrier(msg.headers) : undefined);
  const subject = ns.unprefix(msg.subject);
  const span = tracer().startSpan(
    `process ${subject}`,
    { kind: SpanKind.CONSUMER, attributes: { 'messaging.system': 'nats', 'messaging.consumer.group.name': consumer, 'messaging.destination.name': msg.subject } },
    parent,
  );
  const decoded = decodeEvent(msg.data, accepted);
  if (!decoded.ok) return { msg, span, outcome: { kind: 'malformed', reason: decoded.reason } };
  span.setAttribute('messaging.message.id', decoded.envelope.id);
  const event: ReceivedEvent = {
    envelope: decoded.envelope as EventOf<AnyEventDefinition>,
    subject,
    streamSequence: msg.info.streamSequence,
    deliveryCount: msg.info.redeliveryCount,
    traceContext: trace.setSpan(parent, span),
  };
  return { msg, span, event };
}
