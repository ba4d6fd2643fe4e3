import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { getAddress } from 'ethers';
import { authEnvironment, signerOfRequest } from '@gridledger/auth';
import { EMPTY_GROUP_PERIOD_ROOT, METER_LEAF_TYPES, type MeterLeafValues, type SignedBatchRequest } from '@gridledger/domain';
import { InputsManifest, inputsDigest } from '@gridledger/settlement';

/** What the chain holds for one version of a group's period (its commitment and event). */
export interface ChainVersion {
  readonly version: number;
  readonly merkleRoot: string;
  readonly totals: { readonly feedInWh: bigint; readonly feedOutWh: bigint; readonly scheduleNetWh: bigint; readonly imbalanceWh: bigint };
  readonly meterCount: bigint;
  readonly inputsDigest: string;
  readonly txHash: string;
  readonly blockNumber: number;
}

/** One of the caller's own meters: its record, and the leaf and proof served for it. */
export interface OwnMeter {
  readonly meterId: string;
  readonly direction: 0 | 1;
  readonly energyWh: bigint;
  /** The leaf with its salt and the proof chain-bridge served; null when none was served. */
  readonly served: { readonly leaf: MeterLeafValues; readonly proof: readonly string[] } | null;
}

export interface PeriodEvidence {
  readonly groupId: string;
  readonly periodId: string;
  readonly periodStartSeconds: bigint;
  readonly chain: ChainVersion;
  /** Every leaf of the version (a BRP's export): the root and totals are recomputed from them. */
  readonly leaves?: readonly MeterLeafValues[];
  readonly ownMeters?: readonly OwnMeter[];
  /** meter-ingest's manifest of the group-period: inputsDigest and MPO signatures (each batch with the signed request it came in). */
  readonly manifest?: ManifestEvidence;
}

type MpoInputs = InputsManifest['perMpo'][number];
type BatchInputs = MpoInputs['batches'][number];

/** The manifest as published (`meter.manifest.updated`): inputsDigest's fields plus each batch's signed request. */
export interface ManifestEvidence extends Omit<InputsManifest, 'perMpo'> {
  readonly perMpo: readonly (Omit<MpoInputs, 'batches'> & { readonly batches: readonly (BatchInputs & { readonly request?: SignedBatchRequest })[] })[];
}

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const ZERO = `0x${'0'.repeat(64)}`;

/**
 * Recomputes what the evidence allows and compares it with the chain, in a fixed order:
 * leaves (root, meter count, feed-in, feed-out, imbalance), the caller's own meters (value
 * and inclusion), the manifest (MPO signatures, counts, inputsDigest). Every check is
 * reported; the first that fails is the difference the command names.
 */
export function verifyPeriod(evidence: PeriodEvidence): Check[] {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const { chain } = evidence;
  check('commitment', chain.merkleRoot !== ZERO, `version ${chain.version} of ${evidence.groupId} ${evidence.periodId}: root ${chain.merkleRoot} in tx ${chain.txHash} (block ${chain.blockNumber})`);

  if (evidence.leaves) {
    const leaves = evidence.leaves;
    const wrongPeriod = leaves.find((leaf) => BigInt(leaf[1]) !== evidence.periodStartSeconds);
    check('leaves.period', !wrongPeriod, wrongPeriod ? `leaf of ${wrongPeriod[0]} is for period start ${wrongPeriod[1]}, not ${evidence.periodStartSeconds}` : `${leaves.length} leaves of period start ${evidence.periodStartSeconds}`);
    const root = leaves.length === 0 ? EMPTY_GROUP_PERIOD_ROOT : StandardMerkleTree.of([...leaves], [...METER_LEAF_TYPES]).root;
    check('root', root.toLowerCase() === chain.merkleRoot.toLowerCase(), `recomputed ${root} from ${leaves.length} leaves, the chain has ${chain.merkleRoot}`);
    check('meterCount', BigInt(leaves.length) === chain.meterCount, `${leaves.length} leaves, the commitment says ${chain.meterCount} meters`);
    const sum = (direction: 0 | 1) => leaves.filter((leaf) => leaf[2] === direction).reduce((total, leaf) => total + BigInt(leaf[3]), 0n);
    const [feedIn, feedOut] = [sum(1), sum(0)];
    check('feedInWh', feedIn === chain.totals.feedInWh, `recomputed ${feedIn} Wh, the chain has ${chain.totals.feedInWh}`);
    check('feedOutWh', feedOut === chain.totals.feedOutWh, `recomputed ${feedOut} Wh, the chain has ${chain.totals.feedOutWh}`);
    const imbalance = feedIn - feedOut - chain.totals.scheduleNetWh;
    check('imbalanceWh', imbalance === chain.totals.imbalanceWh, `recomputed ${imbalance} Wh (schedules ${chain.totals.scheduleNetWh}), the chain has ${chain.totals.imbalanceWh}`);
  }

  for (const meter of evidence.ownMeters ?? []) {
    const name = `meter ${meter.meterId} (${meter.direction === 1 ? 'production' : 'consumption'})`;
    if (!meter.served) {
      check(`${name}.proof`, false, 'no leaf and proof were served for it');
      continue;
    }
    const [meterId, start, direction, energy] = meter.served.leaf;
    const sameLeaf = meterId === meter.meterId && direction === meter.direction && BigInt(start) === evidence.periodStartSeconds;
    check(`${name}.leaf`, sameLeaf, sameLeaf ? 'the served leaf names this meter, direction and period' : `the served leaf is ${JSON.stringify(meter.served.leaf.slice(0, 3))}`);
    check(`${name}.energy`, BigInt(energy) === meter.energyWh, `your record ${meter.energyWh} Wh, the committed leaf ${energy} Wh`);
    const included = StandardMerkleTree.verify(chain.merkleRoot, [...METER_LEAF_TYPES], meter.served.leaf, [...meter.served.proof]);
    check(`${name}.inclusion`, included, included ? `its salted leaf and ${meter.served.proof.length} hashes lead to the root on chain` : 'its salted leaf and proof do not lead to the root on chain');
  }

  if (evidence.manifest) {
    const manifest = evidence.manifest;
    const samePeriod = manifest.groupId === evidence.groupId && manifest.periodId === evidence.periodId;
    check('manifest.period', samePeriod, `the manifest is for ${manifest.groupId} ${manifest.periodId}`);
    for (const mpo of manifest.perMpo) {
      for (const batch of mpo.batches) {
        const { signed, detail } = batchSignature(mpo.mpo, batch);
        check(`manifest.signature`, signed, detail);
      }
      const batchCount = mpo.batches.reduce((total, batch) => total + batch.count, 0);
      check('manifest.mpoCount', batchCount === mpo.count, `${mpo.mpo}: ${mpo.count} values, its batches add up to ${batchCount}`);
    }
    const mpoCount = manifest.perMpo.reduce((total, mpo) => total + mpo.count, 0);
    check('manifest.count', mpoCount === manifest.count, `${manifest.count} values, the MPOs add up to ${mpoCount}`);
    if (evidence.leaves) check('manifest.meterCount', manifest.count === evidence.leaves.length, `${manifest.count} values in the manifest, ${evidence.leaves.length} leaves`);
    const digest = inputsDigest(manifest);
    const attested = chain.inputsDigest !== ZERO;
    check(
      'inputsDigest',
      attested && digest.toLowerCase() === chain.inputsDigest.toLowerCase(),
      attested ? `recomputed ${digest} from the manifest, the commitment carries ${chain.inputsDigest}` : `the commitment carries no inputsDigest (0x0: not attested); the manifest gives ${digest}`,
    );
  }
  return checks;
}

/**
 * An MPO batch is an EIP-712 signed request (docs/trust.md) whose body digest and nonce are
 * the batchId; the manifest carries the rest of what was signed. Signed when that recovers
 * the manifest's MPO (expiry is not checked: it bounded the submission, not the evidence).
 */
function batchSignature(mpo: string, batch: BatchInputs & { readonly request?: SignedBatchRequest }): { signed: boolean; detail: string } {
  const { request } = batch;
  if (!request) return { signed: false, detail: `batch ${batch.batchId} of ${mpo}: the manifest does not carry the signed request, its signature cannot be checked` };
  try {
    const environment = authEnvironment(request.chainId, request.verifyingContract);
    const value = { method: request.method, path: request.path, bodySha256: batch.batchId, nonce: batch.batchId, expiry: BigInt(request.expiry) };
    const signer = signerOfRequest(environment, value, batch.signature);
    if (signer === getAddress(mpo)) return { signed: true, detail: `batch ${batch.batchId} (${batch.format}, ${request.method} ${request.path} on chain ${request.chainId}) signed by ${mpo}` };
    return { signed: false, detail: `batch ${batch.batchId} of ${mpo}: the signature recovers ${signer}` };
  } catch (error) {
    return { signed: false, detail: `batch ${batch.batchId} of ${mpo}: ${error instanceof Error ? error.message : String(error)}` };
  }
}
