import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ConsumerRunner, type AnyEventDefinition, type ConsumerOptions, type MessagingClient } from '@gridledger/messaging';
import type { JsonLogger } from '@gridledger/telemetry';
import { DATA_SOURCE, LOGGER, MESSAGING } from './tokens';

/**
 * Starts durable consumers with the service's connection and database, and stops them all
 * on shutdown before the connections close. Call `start` from onApplicationBootstrap.
 */
@Injectable()
export class ConsumerHost {
  private readonly runners: ConsumerRunner<readonly AnyEventDefinition[]>[] = [];

  constructor(
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  async start<D extends readonly AnyEventDefinition[]>(options: ConsumerOptions<D>): Promise<ConsumerRunner<D>> {
    const runner = new ConsumerRunner(this.messaging, this.dataSource, { logger: this.logger, ...options });
    await runner.start();
    this.runners.push(runner as unknown as ConsumerRunner<readonly AnyEventDefinition[]>);
    this.logger.log(`consumer ${runner.name} started on ${options.stream}`, 'ConsumerHost');
    return runner;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.runners.splice(0).map((runner) => runner.stop()));
  }
}
