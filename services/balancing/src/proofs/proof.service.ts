import type { DataSource } from 'typeorm';
import { Keccak256, MeterMerkleTree, leafSalt, meterLeafValues } from '@gridledger/domain';
import { BalancingProofReply, BalancingProofRequest } from '@gridledger/events';
import { MeterValue, buildPeriodTree, meterLeafOf, periodStartSeconds, versionSaltKey } from '@gridledger/settlement';
import { versionValues } from '../persistence/meter-values.repository';
import { StoredVersion, versionOf } from '../persistence/versions.repository';
import { WATERMARK_NOT_RESTORED } from '../rebuild/settled-history.adoption';

interface CachedTree {
  readonly values: MeterValue[];
  readonly tree: MeterMerkleTree;
  readonly versionKey: Buffer;
  /** meterId → leaf indices (one per direction the meter has in the period). */
  readonly byMeter: Map<string, number[]>;
}

/** Trees kept for repeated proofs of one version (chain-bridge asks meter after meter). */
const CACHED_TREES = 8;

/**
 * A meter's leaf and Merkle proof in a settled version: the version's values are read back
 * by its watermark and the tree rebuilt (a group of 20k meters takes tens of ms), so no tree
 * is stored in the database and every proof comes from exactly the values that were
 * committed. The last few trees stay in memory: versions never change, so a cached tree is
 * never stale. The leaf comes with its salt: the one place a salt is handed out.
 */
export class ProofService {
  private readonly trees = new Map<string, CachedTree>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly keccak: Keccak256,
    private readonly leafSaltKey: Uint8Array,
  ) {}

  async proofFor(request: BalancingProofRequest & { direction?: 'consumption' | 'production' }): Promise<BalancingProofReply> {
    const version = await versionOf(this.dataSource.manager, request.groupId, request.periodId, request.version);
    if (!version) return { ok: false, error: `no settled version${request.version ? ` ${request.version}` : ''} for group ${request.groupId} in period ${request.periodId}` };
    if (version.valueWatermark === WATERMARK_NOT_RESTORED) {
      return { ok: false, error: `the values of version ${version.version} of group ${request.groupId} in period ${request.periodId} were not restored after a rebuild from the log: its totals and root stand, its proofs are not served` };
    }
    const cached = await this.treeOf(version);
    const index = (cached?.byMeter.get(request.meterId) ?? []).find((i) => request.direction === undefined || cached?.values[i].direction === request.direction);
    if (!cached || index === undefined) return { ok: false, error: `meter ${request.meterId} is not in version ${version.version} of group ${request.groupId} in period ${request.periodId}` };
    const value = cached.values[index];
    const salt = leafSalt(cached.versionKey, value.meterId, value.direction === 'production' ? 1 : 0, this.keccak);
    const leaf = meterLeafValues(meterLeafOf(value, periodStartSeconds(request.periodId, version.periodLength), salt));
    return { ok: true, groupId: request.groupId, periodId: request.periodId, version: version.version, leaf, leafHash: cached.tree.leafHash(index), proof: cached.tree.proof(index), root: cached.tree.root };
  }

  private async treeOf(version: StoredVersion): Promise<CachedTree | undefined> {
    const key = `${version.groupId}|${version.periodId}|${version.version}`;
    const hit = this.trees.get(key);
    if (hit) return hit;
    const values = await versionValues(this.dataSource.manager, version, version.valueWatermark);
    const versionKey = versionSaltKey(this.leafSaltKey, version.groupId, periodStartSeconds(version.periodId, version.periodLength), version.version);
    const tree = buildPeriodTree(values, version.periodId, version.periodLength, versionKey, this.keccak);
    if (!tree) return undefined;
    if (tree.root !== version.merkleRoot) throw new Error(`rebuilt root of ${version.groupId} ${version.periodId} v${version.version} differs from the committed root`);
    const byMeter = new Map<string, number[]>();
    values.forEach((value, i) => byMeter.set(value.meterId, [...(byMeter.get(value.meterId) ?? []), i]));
    const entry = { values, tree, byMeter, versionKey };
    this.trees.set(key, entry);
    if (this.trees.size > CACHED_TREES) this.trees.delete(this.trees.keys().next().value as string);
    return entry;
  }
}
