import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { BALANCING_PROOF_SUBJECT, BalancingProofReply, balancingProofRequestSchema } from '@gridledger/events';
import { natsRequest } from '@gridledger/messaging';
import { ProofService } from './proof.service';

/** Answers `balancing.proof.requested` (core NATS request/reply, queue group across replicas). */
@Controller()
export class ProofResponder {
  constructor(private readonly proofs: ProofService) {}

  @MessagePattern(BALANCING_PROOF_SUBJECT, natsRequest({ queue: 'balancing' }))
  async proof(@Payload() body: unknown): Promise<BalancingProofReply> {
    const request = balancingProofRequestSchema.safeParse(body);
    if (!request.success) return { ok: false, error: request.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
    return this.proofs.proofFor(request.data);
  }
}
