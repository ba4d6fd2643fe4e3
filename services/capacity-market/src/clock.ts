import { Injectable } from '@nestjs/common';
import { InjectConfig } from '@gridledger/service-kit';
import type { CapacityMarketConfig } from './config';

/**
 * The service's one source of "now" (the domain never reads a clock). Normally the system
 * clock; with CAPACITY_CLOCK_START (tests, replays of a past day) it starts at that instant
 * when the process starts and runs at real speed.
 */
@Injectable()
export class Clock {
  private readonly offsetMs: number;

  constructor(@InjectConfig() config: CapacityMarketConfig) {
    this.offsetMs = config.CAPACITY_CLOCK_START === undefined ? 0 : Date.parse(config.CAPACITY_CLOCK_START) - Date.now();
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

