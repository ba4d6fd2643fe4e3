import { Controller, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { VerifiedRequest } from '@gridledger/auth';
import { DomainError } from '@gridledger/domain';
import { RawBody, Signed, SignedWrite } from '@gridledger/service-kit';
import { IntakeService } from '../intake/intake.service';
import type { IntakeAnswer } from '../intake/intake.types';

export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Headers of the former, unsigned-environment batch signature: refused so a client notices. */
const RETIRED_HEADERS = ['x-mpo-address', 'x-mpo-signature', 'x-period-length'];

/**
 * HTTP doors of the intake: EIP-712 signed requests by the MPO (docs/trust.md) whose nonce is
 * the SHA-256 of the body, which is the batch id: a re-sent batch gets the stored answer and
 * writes nothing. The signature is checked over the raw bytes before anything parses them.
 * 200 with the answer once the batch is committed (also when some values were rejected: the
 * answer lists each); 4xx when the whole submission is refused.
 */
@Controller()
export class ReadingsController {
  constructor(private readonly intake: IntakeService) {}

  /** JSON batch of interval values or register readings. */
  @Post('readings')
  @HttpCode(200)
  @SignedWrite({ nonce: 'body-digest', rawBody: true })
  async readings(@Req() request: Request, @RawBody() raw: Buffer, @Signed() signed: VerifiedRequest, @Res({ passthrough: true }) response: Response): Promise<IntakeAnswer> {
    const { answer, replayed } = await this.intake.submitJson(raw, 'http', signed, { method: request.method, path: request.originalUrl });
    response.setHeader(REPLAYED_HEADER, String(replayed));
    return answer;
  }

  /** EDIFACT MSCONS as text/plain; the period length goes in the signed query: `?periodLength=PT60M` (default PT15M). */
  @Post('mscons')
  @HttpCode(200)
  @SignedWrite({ nonce: 'body-digest', rawBody: true })
  async mscons(
    @Req() request: Request,
    @RawBody() raw: Buffer,
    @Signed() signed: VerifiedRequest,
    @Query('periodLength') periodLength: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ): Promise<IntakeAnswer> {
    for (const header of RETIRED_HEADERS) {
      if (request.headers[header] !== undefined) {
        throw new DomainError('invalid', 'UNSIGNED_HEADER', header, 'is no longer read: the MPO is the request signer and the period length goes in the signed query (?periodLength=PT60M)');
      }
    }
    const { answer, replayed } = await this.intake.submitMscons({ raw, periodLength }, 'http', signed, { method: request.method, path: request.originalUrl });
    response.setHeader(REPLAYED_HEADER, String(replayed));
    return answer;
  }
}
