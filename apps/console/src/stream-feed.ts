import { STREAMS, type MessagingClient } from '@gridledger/messaging';
import type { MarketBoard } from './market-board';

/** The streams the board is folded from. */
const BOARD_STREAMS = [STREAMS.METER, STREAMS.BALANCING, STREAMS.CAPACITY, STREAMS.CHAIN, STREAMS.DEADLETTER].map((s) => s.name);

/**
 * Feeds the board from the start of each stream through ordered, ephemeral consumers (the
 * way the demo's observer and any participant read them): nothing durable on the server,
 * nothing stored by the console. `onChange` is called after each change.
 */
export async function feedBoard(messaging: MessagingClient, board: MarketBoard, onChange: () => void): Promise<{ stop(): void }> {
  const stops: (() => void)[] = [];
  for (const stream of BOARD_STREAMS) {
    const consumer = await messaging.js.consumers.get(messaging.streamName(stream));
    const messages = await consumer.consume();
    stops.push(() => void messages.stop());
    void (async () => {
      for await (const message of messages) {
        let changed = false;
        try {
          changed = board.apply(message.json());
        } catch {
          // Not an event the board reads, or not valid: the services dead-letter those.
        }
        if (changed) onChange();
      }
    })();
  }
  return { stop: () => stops.forEach((stop) => stop()) };
}
