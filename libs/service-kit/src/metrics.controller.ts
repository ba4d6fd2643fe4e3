import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Telemetry } from '@gridledger/telemetry';
import { TELEMETRY } from './tokens';

/** OpenTelemetry metrics in the Prometheus text format. */
@Controller()
export class MetricsController {
  constructor(@Inject(TELEMETRY) private readonly telemetry: Telemetry) {}

  @Get('metrics')
  metrics(@Req() request: Request, @Res() response: Response): void {
    this.telemetry.handleMetricsRequest(request, response);
  }
}
