import { Catch, type ArgumentsHost, type ExceptionFilter, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import type { Subscription } from 'nats';
import { lastValueFrom, throwError, type Observable } from 'rxjs';
import type { DataSource } from 'typeorm';
import { ConsumerRunner, type ConsumerLogger, type InboxTransaction, type ReceivedEvent } from '../consumer';
import type { AnyEventDefinition, MessagingClient } from '../messaging-client';
import { ALL_STREAMS, type StreamSpec } from '../streams';
import { RequestContext, StreamContext } from './stream-context';
import { durableName, requestOptionsOf, streamConsumerOf, streamOfSubject } from './stream-handler';

export interface JetStreamTransportOptions {
  readonly messaging: MessagingClient;
  readonly dataSource: DataSource;
  /** Durable names are `<consumerPrefix>-<consumer>`; request queue groups default to it. */
  readonly consumerPrefix: string;
  /** Ack wait of every consumer that does not set its own (default 60 s). */
  readonly ackWaitMs?: number;
  readonly streams?: readonly StreamSpec[];
  readonly logger?: ConsumerLogger;
}

/**
 * Nest's transport for JetStream: every `@EventPattern(subject, streamConsumer({...}))`
 * becomes a durable pull consumer run by a ConsumerRunner (decode + validate, inbox row and
 * handler in ONE transaction, commit, then ack; poison → dead letter; transient → nak with
 * backoff; an unreachable database holds the messages). The handler gets the event (or the
 * fresh events of a fetch) as payload and a StreamContext with the transaction as `@Ctx()`;
 * what it returns or throws is the outcome `decideAck` turns into ack, nak or dead letter.
 * Every `@MessagePattern(subject, natsRequest({...}))` answers core NATS requests on
 * `rpc.<subject>` with its JSON result (a throw is answered as `{ error }`).
 */
export class JetStreamTransport extends Server implements CustomTransportStrategy {
  private readonly runners: ConsumerRunner<readonly AnyEventDefinition[]>[] = [];
  private readonly subscriptions: Subscription[] = [];

  constructor(private readonly options: JetStreamTransportOptions) {
    super();
  }

  /** Starts a consumer per event handler and a responder per request handler. */
  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const [pattern, handler] of this.messageHandlers) {
        if (handler.isEventHandler) await this.startConsumer(pattern, handler);
        else this.serveRequests(pattern, handler);
      }
      callback();
    } catch (error) {
      await this.close();
      callback(error);
    }
  }

  /** Stops pulling (the batch in hand finishes and acks), then stops answering requests. */
  async close(): Promise<void> {
    await Promise.all(this.runners.splice(0).map((runner) => runner.stop()));
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }

  on(): never {
    throw new Error('JetStreamTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.options.messaging as T;
  }

  private async startConsumer(pattern: string, handler: MessageHandler): Promise<void> {
    const declared = streamConsumerOf(handler.extras);
    if (!declared) throw new Error(`@EventPattern('${pattern}') needs streamConsumer({ consumer, events }) as its extras`);
    if (handler.next) throw new Error(`@EventPattern('${pattern}') is declared twice; one consumer per subject filter`);
    const durable = durableName(this.options.consumerPrefix, declared.consumer);
    const invoke = (payload: ReceivedEvent | readonly ReceivedEvent[], tx: InboxTransaction) => this.outcomeOf(handler(payload, new StreamContext([tx, durable])));
    const runner = new ConsumerRunner(this.options.messaging, this.options.dataSource, {
      stream: streamOfSubject(pattern, this.options.streams ?? ALL_STREAMS).name,
      durable,
      events: declared.events,
      filterSubjects: [pattern],
      batchSize: declared.batchSize,
      redelivery: declared.redelivery,
      ackWaitMs: declared.ackWaitMs ?? this.options.ackWaitMs,
      logger: this.options.logger,
      ...(declared.batch ? { handleBatch: (events, _em, tx) => invoke(events, tx) } : { handle: (event, _em, tx) => invoke(event, tx) }),
    });
    await runner.start();
    this.runners.push(runner);
    this.options.logger?.log(`consumer ${durable} started on ${pattern}`, 'JetStreamTransport');
  }

  private serveRequests(pattern: string, handler: MessageHandler): void {
    const { queue, raw } = requestOptionsOf(handler.extras);
    const subscription = this.options.messaging.serve(pattern, (body, headers) => this.outcomeOf(handler(body, new RequestContext([pattern, headers]))), queue ?? this.options.consumerPrefix, { raw });
    this.subscriptions.push(subscription);
  }

  /** The handler's result, or its original error (kept by KeepHandlerErrors). */
  private async outcomeOf<T>(result: Promise<T | Observable<T>>): Promise<T | undefined> {
    return lastValueFrom(this.transformToObservable(await result), { defaultValue: undefined }) as Promise<T | undefined>;
  }
}

/**
 * Nest turns a handler's throw into `{ status: 'error', message: 'Internal server error' }`;
 * the transport needs the error itself (a PoisonEventError dead-letters, anything else is
 * retried), so this filter hands it on untouched.
 */
@Catch()
export class KeepHandlerErrors implements ExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Makes the app hybrid: JetStream handlers beside HTTP. Call after the app is created and
 * before `app.init()`/`listen()`; `app.startAllMicroservices()` starts the consumers.
 */
export function connectJetStream(app: INestApplication, transport: JetStreamTransport): INestMicroservice {
  const microservice = app.connectMicroservice({ strategy: transport }, { deferInitialization: true });
  // Before the handlers are registered, so every one of them keeps its errors.
  microservice.useGlobalFilters(new KeepHandlerErrors());
  // The app's own init runs the lifecycle hooks once; the microservice shares its container.
  (microservice as unknown as { setIsInitHookCalled(called: boolean): void }).setIsInitHookCalled(true);
  return microservice;
}
