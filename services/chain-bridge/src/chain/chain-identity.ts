import { Injectable } from '@nestjs/common';
import { CascadeClient } from './cascade.client';

/**
 * The chain id, read from the node the first time it is needed (the bridge starts, and
 * consumes, while the chain is still down) and kept: a node never changes its chain id.
 */
@Injectable()
export class ChainIdentity {
  private chainId: number | undefined;

  constructor(private readonly client: CascadeClient) {}

  /** Null until the chain first answered. */
  get known(): number | null {
    return this.chainId ?? null;
  }

  async id(): Promise<number> {
    this.chainId ??= await this.client.chainId();
    return this.chainId;
  }
}
