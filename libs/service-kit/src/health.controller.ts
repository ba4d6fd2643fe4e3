import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
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

  /**
   * 200 only when NATS and Postgres both answer; 503 naming what is down otherwise. A probe's
   * answer, not an error: it keeps its own body (`checks`) instead of problem details.
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response): Promise<{ status: 'up' | 'down'; checks: Record<string, CheckResult> }> {
    const [nats, postgres] = await Promise.all([check(() => this.messaging.ping(1000)), check(() => pingDatabase(this.dataSource, 1000))]);
    const checks = { nats, postgres };
    const down = nats.status === 'down' || postgres.status === 'down';
    if (down) response.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: down ? 'down' : 'up', checks };
  }
}
