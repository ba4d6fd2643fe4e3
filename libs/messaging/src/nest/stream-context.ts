import { BaseRpcContext } from '@nestjs/microservices';
import type { MsgHdrs } from 'nats';
import type { EntityManager } from 'typeorm';
import type { InboxTransaction, ReceivedEvent } from '../consumer';

/**
 * The `@Ctx()` of a stream handler: the inbox transaction it must write in (`em`), and
 * `afterCommit` for work that may only happen once the transaction has committed.
 */
export class StreamContext extends BaseRpcContext<[InboxTransaction, string]> {
  /** The transaction the inbox rows are in; write only through it. */
  get em(): EntityManager {
    return this.args[0].em;
  }

  /** The durable consumer delivering the events. */
  get consumer(): string {
    return this.args[1];
  }

  /** Runs after commit, before the ack (a throw counts as a lost ack: redelivered, deduped by the inbox). */
  afterCommit(hook: () => void | Promise<void>): void {
    this.args[0].afterCommit(hook);
  }
}

/** The `@Ctx()` of a request handler: the logical subject and the request's headers. */
export class RequestContext extends BaseRpcContext<[string, MsgHdrs | undefined]> {
  get subject(): string {
    return this.args[0];
  }

  get headers(): MsgHdrs | undefined {
    return this.args[1];
  }
}

export type { ReceivedEvent };
