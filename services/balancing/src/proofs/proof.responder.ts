import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Subscription } from 'nats';
import { BALANCING_PROOF_SUBJECT, BalancingProofReply, balancingProofRequestSchema } from '@gridledger/events';
import { MessagingClient } from '@gridledger/messaging';
import { MESSAGING } from '@gridledger/service-kit';
import { ProofService } from './proof.service';

/** Answers `balancing.proof.requested` (core NATS request/reply, queue group across replicas). */
@Injectable()
export class ProofResponder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private subscription: Subscription | undefined;

  constructor(
    private readonly proofs: ProofService,
    @Inject(MESSAGING) private readonly messaging: MessagingClient,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.messaging.serve(BALANCING_PROOF_SUBJECT, async (body): Promise<BalancingProofReply> => {
      const request = balancingProofRequestSchema.safeParse(body);
      if (!request.success) return { ok: false, error: request.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
      return this.proofs.proofFor(request.data);
    }, 'balancing');
  }

  beforeApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
