import { BadGatewayException, Controller, Get, Param, Query } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { BALANCING_PROOF_SUBJECT, balancingProofReplySchema, groupIdString, meterPointIdString, periodIdString } from '@gridledger/events';
import type { MessagingClient } from '@gridledger/messaging';
import { groupKey, periodStartSeconds } from '@gridledger/contracts';
import { DomainError } from '@gridledger/domain';
import { MARKET } from '@gridledger/auth';
import { AuthService, InjectDataSource, InjectMessaging, ReadSession, SessionAddress, parseOrRefuse } from '@gridledger/service-kit';
import { CascadeClient } from '../chain/cascade.client';
import { ChainIdentity } from '../chain/chain-identity';
import { PeriodCommitRepository } from '../commits/period-commit.repository';

export const paramsSchema = z.object({
  groupId: groupIdString,
  periodId: periodIdString,
  meterId: meterPointIdString,
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'must be a positive integer')
    .transform(Number)
    .optional(),
});

/**
 * A meter owner's check (a read session, docs/authorization.md): the leaf (with its salt: [meterId, periodStart, direction, energyWh,
 * salt]) and proof from balancing, the root anchored on chain, the
 * transaction and block that anchored it, and whether the contract's own view verifies it.
 */
@Controller('proofs')
export class ProofsController {
  constructor(
    @InjectMessaging() private readonly messaging: MessagingClient,
    @InjectDataSource() private readonly db: DataSource,
    private readonly commits: PeriodCommitRepository,
    private readonly client: CascadeClient,
    private readonly chain: ChainIdentity,
    private readonly auth: AuthService,
  ) {}

  @Get(':groupId/:periodId/:meterId')
  @ReadSession()
  async proof(@Param('groupId') groupId: string, @Param('periodId') periodId: string, @Param('meterId') meterId: string, @SessionAddress() reader: string, @Query('version') version?: string) {
    const request = parseOrRefuse(paramsSchema, { groupId, periodId, meterId, version }, '(path)');
    // The group's MPO or supplier, or the market operator, may ask (403 otherwise); whether the
    // meter is the reader's is balancing's to say (it knows each meter's MPO and supplier), so
    // the reader goes with the request. "Not yours" and "no such meter" answer alike (404).
    this.auth.require(reader, [{ role: 'MPO', scope: request.groupId }, { role: 'SUPPLIER', scope: request.groupId }, { role: 'MARKET_OPERATOR', scope: MARKET }], `read proofs of group ${request.groupId}`, 'authorization');
    let raw: unknown;
    try {
      raw = await this.messaging.request(BALANCING_PROOF_SUBJECT, { ...request, reader }, 5_000);
    } catch (error) {
      throw new BadGatewayException(`balancing did not answer the proof request: ${error instanceof Error ? error.message : String(error)}`);
    }
    const reply = balancingProofReplySchema.safeParse(raw);
    if (!reply.success) throw new BadGatewayException(`balancing answered with an invalid proof reply: ${reply.error.issues[0]?.message ?? 'unknown'}`);
    if (!reply.data.ok) throw new DomainError('not-found', 'NO_PROOF', 'meterId', reply.data.error);
    const proof = reply.data;

    const commit = await this.commits.find(this.db.manager, request.groupId, request.periodId, proof.version);
    const periodStart = periodStartSeconds(request.periodId);
    let onChain: { root: string; verified: boolean } | null = null;
    let chainError: string | null = null;
    try {
      const group = groupKey(request.groupId);
      const [, , direction, energyWh, salt] = proof.leaf;
      onChain = {
        root: await this.client.rootOf(group, periodStart, proof.version),
        verified: await this.client.verifyMeter(group, periodStart, proof.version, [request.meterId, direction, BigInt(energyWh), salt], proof.proof),
      };
    } catch (error) {
      chainError = error instanceof Error ? error.message : String(error);
    }
    return {
      groupId: request.groupId,
      periodId: request.periodId,
      meterId: request.meterId,
      version: proof.version,
      leaf: proof.leaf,
      leafHash: proof.leafHash,
      proof: proof.proof,
      root: proof.root,
      anchor: commit
        ? { status: commit.status, txHash: commit.txHash, blockNumber: commit.blockNumber, blockHash: commit.blockHash, contract: this.client.address, chainId: this.chain.known }
        : null,
      onChainRoot: onChain?.root ?? null,
      rootMatchesChain: onChain ? onChain.root.toLowerCase() === proof.root.toLowerCase() : null,
      verifiedOnChain: onChain?.verified ?? null,
      chainError,
    };
  }
}
