import { MessageDeadLettered, type EventData } from '@gridledger/events';
import type { MessagingClient } from './messaging-client';
import { readStreamSubject } from './stream-reader';
import { STREAMS } from './streams';

export type DeadLetter = EventData<typeof MessageDeadLettered> & { readonly deadLetterId: string };

export interface DeadLetterQuery {
  /** Logical stream the messages came from (METER, …); all when omitted. */
  readonly stream?: string;
  /** Only those this consumer gave up on. */
  readonly consumer?: string;
  /** Only these dead letters (their envelope ids, as listed). */
  readonly ids?: readonly string[];
  readonly limit?: number;
}

/** Reads dead letters from the DEADLETTER stream, oldest first (an ordered, ephemeral consumer). */
export async function readDeadLetters(messaging: MessagingClient, query: DeadLetterQuery = {}): Promise<DeadLetter[]> {
  const limit = query.limit ?? 1000;
  const letters: DeadLetter[] = [];
  await readStreamSubject(messaging, STREAMS.DEADLETTER.name, query.stream ? MessageDeadLettered.subject(query.stream) : MessageDeadLettered.subjectFilter, (msg) => {
    const envelope = MessageDeadLettered.parse(msg.json());
    if ((!query.consumer || envelope.data.consumer === query.consumer) && (!query.ids || query.ids.includes(envelope.id))) letters.push({ ...envelope.data, deadLetterId: envelope.id });
    return letters.length < limit;
  });
  return letters;
}

/**
 * Publishes dead-lettered payloads again on their original subjects, e.g. after the bug that
 * made a handler fail is fixed. `Nats-Msg-Id = <publisher>:<dead letter id>~redrive~<redriveId>`, so a
 * retried re-drive is dropped by JetStream; every consumer's inbox applies an event id once.
 */
export async function redriveDeadLetters(messaging: MessagingClient, query: DeadLetterQuery & { readonly redriveId: string }): Promise<number> {
  const letters = await readDeadLetters(messaging, query);
  for (const letter of letters) {
    await messaging.js.publish(messaging.subject(letter.subject), Buffer.from(letter.payloadBase64, 'base64'), { msgID: messaging.msgId(`${letter.deadLetterId}~redrive~${query.redriveId}`) });
  }
  return letters.length;
}
