import { Controller, Headers, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { IntakeService } from '../intake/intake.service';
import { DomainError } from '@gridledger/domain';
import type { IntakeAnswer } from '../intake/intake.types';

export const REPLAYED_HEADER = 'Idempotent-Replayed';

function rawBodyOf(request: Request): Buffer {
  if (Buffer.isBuffer(request.body)) return request.body;
  if (request.body === undefined || (typeof request.body === 'object' && Object.keys(request.body as object).length === 0)) return Buffer.alloc(0);
  throw new DomainError('invalid', 'MALFORMED_BODY', '(body)', 'body could not be read as bytes');
}

/**
 * HTTP doors of the intake. 200 with the answer once the batch is committed (also when some
 * values were rejected: the answer lists each); 4xx when the whole submission is refused.
 */
@Controller()
export class ReadingsController {
  constructor(private readonly intake: IntakeService) {}

  /** JSON batch of interval values or register readings, signed by the MPO. */
  @Post('readings')
  @HttpCode(200)
  async readings(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<IntakeAnswer> {
    const { answer, replayed } = await this.intake.submitJson(rawBodyOf(request), 'http');
    response.setHeader(REPLAYED_HEADER, String(replayed));
    return answer;
  }

  /**
   * EDIFACT MSCONS as text/plain. Headers: x-mpo-address, x-mpo-signature (EIP-712 over the
   * SHA-256 of the body bytes), optional x-period-length (PT15M default).
   */
  @Post('mscons')
  @HttpCode(200)
  async mscons(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @Headers('x-mpo-address') mpo: string | undefined,
    @Headers('x-mpo-signature') signature: string | undefined,
    @Headers('x-period-length') periodLength: string | undefined,
  ): Promise<IntakeAnswer> {
    const { answer, replayed } = await this.intake.submitMscons({ raw: rawBodyOf(request), mpo, signature, periodLength }, 'http');
    response.setHeader(REPLAYED_HEADER, String(replayed));
    return answer;
  }
}
