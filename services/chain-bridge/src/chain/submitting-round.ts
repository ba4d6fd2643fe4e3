import type { BlockRef } from './cascade.client';
import type { BridgeContext } from './bridge-context';
import type { ChainRound } from './chain.worker';
import type { TransactionSender } from './transaction.sender';

/**
 * One round of a worker that sends transactions through its own sender. The order matters:
 * in-flight transactions are tracked and inclusions checked before the sender re-reads its
 * nonce, and only then is anything new sent.
 */
export abstract class SubmittingRound implements ChainRound {
  constructor(
    protected readonly ctx: BridgeContext,
    protected readonly sender: TransactionSender,
  ) {}

  async round(head: BlockRef): Promise<void> {
    await this.trackSubmitted();
    await this.checkIncluded(head);
    await this.sender.beginRound();
    await this.sendDue();
  }

  /** Settles sent transactions that were mined, reverted or lost. */
  protected abstract trackSubmitted(): Promise<void>;
  /** Confirms what is deep enough, and sends back what a reorg removed. */
  protected abstract checkIncluded(head: BlockRef): Promise<void>;
  /** Decides and sends what is due now. */
  protected abstract sendDue(): Promise<void>;
}
