import {
  BalancingGroupId,
  EMPTY_GROUP_PERIOD_ROOT,
  Keccak256,
  MeterLeaf,
  MeterMerkleTree,
  MinorUnits,
  PeriodId,
  PeriodLength,
  PricePerMWh,
  leafSaltVersionKey,
  leafSalts,
  parsePeriodId,
  priceEnergy,
} from '@gridledger/domain';
import { Posting, brpAccount, imbalancePosting, ledgerDigest } from './ledger';
import { MeterValue, Schedule } from './meter-value';
import { LeafColumns, MeterRows } from './meter-rows';
import { GroupTotals, netGroupPeriod } from './netting';
import type { SubstitutionReason } from './inputs-check';

export type SettlementTrigger = 'complete' | 'deadline' | 'correction' | 'priced';

/** The root committed for a group-period without any meter (a tree needs one leaf; see libs/domain). */
export const EMPTY_MERKLE_ROOT = EMPTY_GROUP_PERIOD_ROOT;

export interface SettleInput {
  readonly groupId: BalancingGroupId;
  readonly periodId: PeriodId;
  readonly periodLength: PeriodLength;
  readonly version: number;
  readonly trigger: SettlementTrigger;
  /** The period's meters; the rows with a value are settled. */
  readonly meters: MeterRows;
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
  /** Why this version holds substitutes (absent when it holds none; see inputs-check.ts). */
  readonly substitutionReason?: SubstitutionReason;
}

/** The leaf of a meter's value in a period: direction 0 consumption, 1 production; `salt` from leafSalts. */
export function meterLeafOf(value: MeterValue, periodStartSeconds: bigint, salt: Uint8Array): MeterLeaf {
  return { meterId: value.meterId, periodStartSeconds, direction: value.direction === 'production' ? 1 : 0, energyWh: value.energyWh, salt };
}

export function periodStartSeconds(periodId: PeriodId, length: PeriodLength): bigint {
  return BigInt(parsePeriodId(periodId, length) / 1000);
}

/** The key the salts of one group-period-version's leaves derive from (see libs/domain leaf-salt.ts). */
export function versionSaltKey(masterKey: Uint8Array, groupId: BalancingGroupId, periodStart: bigint, version: number): Buffer {
  return leafSaltVersionKey(masterKey, groupId, periodStart, version);
}

/** The tree of a version's values read back from the store (proofs); `versionKey` from versionSaltKey. */
export function buildPeriodTree(values: readonly MeterValue[], periodId: PeriodId, length: PeriodLength, versionKey: Uint8Array, keccak: Keccak256): MeterMerkleTree | null {
  if (values.length === 0) return null;
  const start = periodStartSeconds(periodId, length);
  const salts = leafSalts(
    versionKey,
    values.map((value) => value.meterId),
    Uint8Array.from(values, (value) => (value.direction === 'production' ? 1 : 0)),
    keccak,
  );
  return MeterMerkleTree.build(
    values.map((value, i) => meterLeafOf(value, start, salts.subarray(i * 32, i * 32 + 32))),
    keccak,
  );
}

/** The Merkle root over leaf columns (the decider's values, or a worker thread's job); `versionKey` from versionSaltKey. */
export function merkleRootOfLeaves(leaves: LeafColumns, periodStart: bigint, versionKey: Uint8Array, keccak: Keccak256): string {
  if (leaves.meterIds.length === 0) return EMPTY_MERKLE_ROOT;
  return MeterMerkleTree.saltedRootOfColumns(leaves, periodStart, versionKey, keccak);
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
 * `priceEnergy`), the ledger posting of the difference to earlier versions and the ledger
 * digest. `merkleRoot` is the root of `input.meters`' values (the decider works it out).
 */
export function settleGroupPeriod(input: SettleInput, merkleRoot: string): SettledVersion {
  const totals = netGroupPeriod(input.groupId, input.meters, input.schedules);
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
