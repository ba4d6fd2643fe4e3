import { Injectable } from '@nestjs/common';
import { InjectLogger } from '@gridledger/service-kit';
import type { JsonLogger } from '@gridledger/telemetry';
import { bridgeMetrics } from './bridge.metrics';

/**
 * Where an alarm is heard once its record (chain_alarm, in the caller's transaction) is
 * written: the alarms metric by kind and an error log line.
 */
@Injectable()
export class BridgeAlarms {
  constructor(@InjectLogger() private readonly logger: JsonLogger) {}

  alarm(kind: string, message: string, context = 'chain-bridge'): void {
    bridgeMetrics.alarms().add(1, { kind });
    this.logger.error(`${kind}: ${message}`, context);
  }
}
