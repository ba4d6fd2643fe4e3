import { Injectable } from '@nestjs/common';
import type { EntityManager, QueryRunner } from 'typeorm';

const CHANNEL = 'chain_bridge_work';

interface NotifyingConnection {
  on(event: 'notification', listener: (message: { channel: string }) => void): void;
  removeListener(event: 'notification', listener: (message: { channel: string }) => void): void;
}

/**
 * How new work wakes the chain worker without waiting for its next poll: a handler that
 * records a commit or a finalization calls `requestRound(em)` in its own transaction, which
 * queues a Postgres NOTIFY; Postgres delivers it only when that transaction commits, and to
 * whichever replica holds the worker's leader connection (it LISTENs there). Polling stays
 * the fallback, so a lost notification only delays a round.
 */
@Injectable()
export class WorkerWakeup {
  async requestRound(em: EntityManager): Promise<void> {
    await em.query(`SELECT pg_notify($1, '')`, [CHANNEL]);
  }

  /** Calls `wake` on every notification to `runner`'s connection; the returned function stops it. */
  async listen(runner: QueryRunner, wake: () => void): Promise<() => Promise<void>> {
    const connection = (runner as unknown as { databaseConnection: NotifyingConnection }).databaseConnection;
    const listener = (message: { channel: string }) => {
      if (message.channel === CHANNEL) wake();
    };
    connection.on('notification', listener);
    await runner.query(`LISTEN ${CHANNEL}`);
    return async () => {
      connection.removeListener('notification', listener);
      await runner.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
    };
  }
}
