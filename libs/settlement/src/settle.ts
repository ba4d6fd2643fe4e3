import { BalancingGroupId, EMPTY_GROUP_PERIOD_ROOT, Keccak256, MeterLeaf, MeterMerkleTree, MinorUnits, PeriodId, PeriodLength, PricePerMWh, parsePeriodId, priceEnergy } from '@gridledger/domain';
import { Posting, brpAccount, imbalancePosting, ledgerDigest } from './ledger';
import { MeterValue, Schedule } from './meter-value';
import { GroupTotals, netGroupPeriod } from './netting';

export type SettlementTrigger = 'complete' | 'deadline' | 'correction' | 'priced';

/** The root committed for a group-period without any meter (a tree needs one leaf; see libs/domain). */
export const EMPTY_MERKLE_ROOT = EMPTY_GROUP_PERIOD_ROOT;

export interface SettleInput {
  readonly groupId: BalancingGroupId;
  readonly periodId: PeriodId;
  readonly periodLength: PeriodLength;
  readonly version: number;
  readonly trigger: SettlementTrigger;
  readonly values: readonly MeterValue[];
  readonly schedules: readonly Schedule[];
  /** Minor units per MWh; null when no price is known yet (energy settled, not priced). */
  readonly imbalancePricePerMWh: PricePerMWh | null;
  /** Postings of earlier versions of this group-period. */
  readonly previousPostings: readonly Posting[];
}

export interface SettledVersion {
  readonly groupId: BalancingGroupId;
  readonly periodId: PeriodId;
  readonly periodLength: PeriodLength;
  readonly version: number;
  readonly trigger: SettlementTrigger;
  readonly totals: GroupTotals;
  readonly imbalancePricePerMWh: PricePerMWh | null;
  readonly imbalanceAmount: MinorUnits | null;
  /** This version's posting (the difference to what was posted before), null if none. */
  readonly posting: Posting | null;
  readonly ledgerDigest: string;
  readonly merkleRoot: string;
}

/** The leaf of a meter's value in a period: direction 0 consumption, 1 production. */
export function meterLeafOf(value: MeterValue, periodStartSeconds: bigint): MeterLeaf {
  return { meterId: value.meterId, periodStartSeconds, direction: value.direction === 'production' ? 1 : 0, energyWh: value.energyWh };
}

export function periodStartSeconds(periodId: PeriodId, length: PeriodLength): bigint {
  return BigInt(parsePeriodId(periodId, length) / 1000);
}

export function buildPeriodTree(values: readonly MeterValue[], periodId: PeriodId, length: PeriodLength, keccak: Keccak256): MeterMerkleTree | null {
  if (values.length === 0) return null;
  const start = periodStartSeconds(periodId, length);
  return MeterMerkleTree.build(
    values.map((value) => meterLeafOf(value, start)),
    keccak,
  );
}

/** Energy posted so far to the group's BRP account for this period. */
function postedAmount(groupId: BalancingGroupId, postings: readonly Posting[]): MinorUnits {
  let posted = 0n;
  for (const posting of postings) {
    for (const entry of posting.entries) if (entry.account === brpAccount(groupId)) posted += entry.credit - entry.debit;
  }
  return posted;
}

/**
 * Settles one version of a group's period: netting, pricing (one rounding rule, in
 * `priceEnergy`), the ledger posting of the difference to earlier versions, the ledger
 * digest and the Merkle root over every meter's value.
 */
export function settleGroupPeriod(input: SettleInput, keccak: Keccak256): SettledVersion {
  const tree = buildPeriodTree(input.values, input.periodId, input.periodLength, keccak);
  return settleGroupPeriodWithRoot(input, tree?.root ?? EMPTY_MERKLE_ROOT);
}

/**
 * The same settlement with the Merkle root computed elsewhere (the service hashes on worker
 * threads); the root must be the one of `input.values` (see `buildPeriodTree`).
 */
export function settleGroupPeriodWithRoot(input: SettleInput, merkleRoot: string): SettledVersion {
  const totals = netGroupPeriod(input.groupId, input.values, input.schedules);
  const imbalanceAmount = input.imbalancePricePerMWh === null ? null : priceEnergy(totals.imbalanceWh, input.imbalancePricePerMWh);
  const delta = imbalanceAmount === null ? 0n : imbalanceAmount - postedAmount(input.groupId, input.previousPostings);
  const posting = imbalancePosting(input.groupId, input.periodId, input.version, delta);
  const postings = posting === null ? input.previousPostings : [...input.previousPostings, posting];
  return {
    groupId: input.groupId,
    periodId: input.periodId,
    periodLength: input.periodLength,
    version: input.version,
    trigger: input.trigger,
    totals,
    imbalancePricePerMWh: input.imbalancePricePerMWh,
    imbalanceAmount,
    posting,
    ledgerDigest: ledgerDigest(postings),
    merkleRoot,
  };
}
