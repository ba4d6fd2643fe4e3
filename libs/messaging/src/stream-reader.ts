import type { JsMsg } from 'nats';
import type { MessagingClient } from './messaging-client';

/**
 * Reads every message a stream holds on one subject (or wildcard), oldest first, through an
 * ordered, ephemeral consumer: what the stream held when the read began (messages stored
 * meanwhile may or may not be seen). `visit` returns false to stop early.
 */
export async function readStreamSubject(messaging: MessagingClient, stream: string, subject: string, visit: (msg: JsMsg) => boolean | void): Promise<number> {
  const streamName = messaging.streamName(stream);
  const filter = messaging.subject(subject);
  const info = await messaging.jsm.streams.info(streamName, { subjects_filter: filter });
  const stored = Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
  if (stored === 0) return 0;
  const consumer = await messaging.js.consumers.get(streamName, { filterSubjects: filter });
  let seen = 0;
  try {
    while (seen < stored) {
      const batch = await consumer.fetch({ max_messages: Math.min(500, stored - seen), expires: 2000 });
      let got = 0;
      let stop = false;
      for await (const msg of batch) {
        got++;
        seen++;
        if (visit(msg) === false) stop = true;
        if (stop || msg.info.pending === 0) break;
      }
      if (stop || got === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
  return seen;
}
