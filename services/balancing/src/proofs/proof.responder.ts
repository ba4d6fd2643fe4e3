import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BALANCING_PROOF_SUBJECT, BalancingProofReply, balancingProofRequestSchema } from '@gridledger/events';
import { natsRequest } from '@gridledger/messaging';
import { ReaderAccess } from '../http/reader-access';
import { ProofService } from './proof.service';

/**
 * Answers `balancing.proof.requested` (core NATS request/reply, queue group across replicas).
 * Only chain-bridge may request it (NATS permissions); it forwards the address of the read
 * session it verified as `reader`, and balancing answers only when that reader may read the
 * proof (the meter's MPO or supplier, MARKET_OPERATOR), as on its own HTTP route. A request
 * without `reader` is chain-bridge's own and is answered (docs/authorization.md).
 */
@Controller()
export class ProofResponder {
  constructor(
    private readonly proofs: ProofService,
    private readonly access: ReaderAccess,
  ) {}

  @MessagePattern(BALANCING_PROOF_SUBJECT, natsRequest({ queue: 'balancing' }))
  async proof(@Payload() body: unknown): Promise<BalancingProofReply> {
    const request = balancingProofRequestSchema.safeParse(body);
    if (!request.success) return { ok: false, error: request.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
    const { reader, ...asked } = request.data;
    if (reader !== undefined) {
      const refusal = await this.access.proofRefusal(reader, asked.groupId, asked.periodId, asked.meterId);
      if (refusal) return { ok: false, error: `reader: ${refusal}` };
    }
    return this.proofs.proofFor(asked);
  }
}
