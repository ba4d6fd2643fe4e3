import type { Totals } from '../chain/cascade.client';
import type { SummaryGroup } from './period-finalization.repository';

/** A group's latest version as the chain holds it. */
export interface ChainCommitment {
  readonly version: number;
  readonly merkleRoot: string;
  readonly totals: Totals;
  readonly blockNumber: number;
}

export type MarketCheck =
  /** Every group's committed totals agree with balancing's, and their sum with the market totals. */
  | { readonly kind: 'ready'; readonly totals: Totals }
  /** Not yet: a version not on chain, not deep enough, or newer than this summary. */
  | { readonly kind: 'wait'; readonly reason: string }
  /** On chain and balancing disagree: never finalized, an alarm. */
  | { readonly kind: 'refuse'; readonly reason: string };

const FIELDS = ['feedInWh', 'feedOutWh', 'scheduleNetWh', 'imbalanceWh'] as const;

/**
 * The finalizer's own check before it signs as the TSO: it recomputes the market totals from
 * every group's committed totals on chain and compares them, group by group, with the totals
 * and roots balancing's summary states, and the sum with the summary's market totals. It
 * names the first difference. Pure: the chain reads come in.
 */
export function checkMarketTotals(
  summary: { readonly groups: readonly SummaryGroup[]; readonly totals: Totals },
  onChain: ReadonlyMap<string, ChainCommitment>,
  chain: { readonly head: number; readonly confirmations: number },
): MarketCheck {
  const sums: Record<(typeof FIELDS)[number], bigint> = { feedInWh: 0n, feedOutWh: 0n, scheduleNetWh: 0n, imbalanceWh: 0n };
  for (const group of summary.groups) {
    const committed = onChain.get(group.groupId);
    const name = `${group.groupId} v${group.version}`;
    if (!committed || committed.version < group.version) return { kind: 'wait', reason: `waiting for ${name} on chain (it has v${committed?.version ?? 0})` };
    if (committed.version > group.version) return { kind: 'wait', reason: `the chain has v${committed.version} of ${group.groupId}, newer than this summary's v${group.version}: waiting for balancing's next summary` };
    const depth = chain.head - committed.blockNumber + 1;
    if (depth < chain.confirmations) return { kind: 'wait', reason: `waiting for ${name} to be confirmed (depth ${depth} of ${chain.confirmations})` };
    if (group.merkleRoot !== undefined && group.merkleRoot.toLowerCase() !== committed.merkleRoot.toLowerCase()) {
      return { kind: 'refuse', reason: `${name}: root on chain ${committed.merkleRoot}, balancing's summary says ${group.merkleRoot}` };
    }
    for (const field of FIELDS) {
      const stated = group[field];
      if (stated !== undefined && BigInt(stated) !== committed.totals[field]) {
        return { kind: 'refuse', reason: `${name}: ${field} on chain ${committed.totals[field]}, balancing's summary says ${stated}` };
      }
      sums[field] += committed.totals[field];
    }
  }
  for (const field of FIELDS) {
    if (sums[field] !== summary.totals[field]) {
      return { kind: 'refuse', reason: `market ${field}: ${sums[field]} recomputed from the groups' commitments on chain, balancing's summary says ${summary.totals[field]}` };
    }
  }
  return { kind: 'ready', totals: sums };
}
