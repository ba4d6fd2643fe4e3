import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { MessagingClient } from '@gridledger/messaging';
import { pingDatabase } from '@gridledger/persistence';
import { DATA_SOURCE, MESSAGING } from './tokens';

type CheckResult = { status: 'up' } | { status: 'down'; reason: string };

async function check(probe: () => Promise<void>): Promise<CheckResult> {
  try {
    await probe();
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', reason: error instanceof Error ? error.message : String(error) };
  }
}

@Controller('health')
export class HealthController {
  constructor(
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  /** The process is up and serving HTTP. */
  @Get('live')
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  /** 200 only when NATS and Postgres both answer; 503 naming what is down otherwise. */
  @Get('ready')
  async ready(): Promise<{ status: 'up'; checks: Record<string, CheckResult> }> {
    const [nats, postgres] = await Promise.all([check(() => this.messaging.ping(1000)), check(() => pingDatabase(this.dataSource, 1000))]);
    const checks = { nats, postgres };
    if (nats.status === 'down' || postgres.status === 'down') {
      throw new ServiceUnavailableException({ status: 'down', checks });
    }
    return { status: 'up', checks };
  }
}
