import type { DataSource } from 'typeorm';
import { Keccak256, meterLeafValues } from '@gridledger/domain';
import { BalancingProofReply, BalancingProofRequest } from '@gridledger/events';
import { buildPeriodTree, meterLeafOf, periodStartSeconds } from '@gridledger/settlement';
import { versionValues } from '../persistence/meter-values.repository';
import { versionOf } from '../persistence/versions.repository';

/**
 * A meter's leaf and Merkle proof in a settled version: the version's values are read back
 * by its watermark and the tree rebuilt (a group of 20k meters takes tens of ms), so no tree
 * is stored and every proof comes from exactly the values that were committed.
 */
export class ProofService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keccak: Keccak256,
  ) {}

  async proofFor(request: BalancingProofRequest & { direction?: 'consumption' | 'production' }): Promise<BalancingProofReply> {
    const version = await versionOf(this.dataSource.manager, request.groupId, request.periodId, request.version);
    if (!version) return { ok: false, error: `no settled version${request.version ? ` ${request.version}` : ''} for group ${request.groupId} in period ${request.periodId}` };
    const values = await versionValues(this.dataSource.manager, request, version.valueWatermark);
    const index = values.findIndex((value) => value.meterId === request.meterId && (request.direction === undefined || value.direction === request.direction));
    if (index < 0) return { ok: false, error: `meter ${request.meterId} is not in version ${version.version} of group ${request.groupId} in period ${request.periodId}` };
    const tree = buildPeriodTree(values, request.periodId, version.periodLength, this.keccak);
    if (!tree || tree.root !== version.merkleRoot) throw new Error(`rebuilt root of ${request.groupId} ${request.periodId} v${version.version} differs from the committed root`);
    const leaf = meterLeafValues(meterLeafOf(values[index], periodStartSeconds(request.periodId, version.periodLength)));
    return { ok: true, groupId: request.groupId, periodId: request.periodId, version: version.version, leaf, leafHash: tree.leafHash(index), proof: tree.proof(index), root: tree.root };
  }
}
