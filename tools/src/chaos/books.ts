import { authEnvironment, signSession } from '@gridledger/auth';
import { parsePeriodId } from '@gridledger/domain';
import { groupKey } from '@gridledger/contracts';
import { callJson, ServiceCallError } from '../demo/http';
import type { RunningMarket } from '../demo/market-day';
import type { SimMeter } from '../demo/population';

/**
 * The books of one market day, read back from the services' APIs, the streams and the chain:
 * what the chaos suite compares between its clean and its chaotic run. Reading tolerates what
 * is missing (a group-period never settled counts as a difference, it does not stop the read).
 */
export interface GroupPeriodBook {
  readonly versions: readonly { version: number; merkleRoot: string; feedInWh: string; feedOutWh: string; imbalanceWh: string; imbalanceAmount: string | null; substitutedCount: number }[];
  readonly feedInWh: bigint;
  readonly feedOutWh: bigint;
  readonly scheduleNetWh: bigint;
  readonly imbalanceWh: bigint;
  readonly imbalanceAmount: string | null;
  readonly merkleRoot: string;
  readonly substitutedCount: number;
  /** rootOf(group, period, latest version) on the chain. */
  readonly rootOnChain: string;
  /**
   * The latest version's leaves without their salts, per `meter/direction`: energy in Wh.
   * Salts are per version (docs/trust.md), so two runs that settled the same values in a
   * different number of versions have different roots; their leaves are what must agree.
   */
  readonly leaves: ReadonlyMap<string, string>;
}

export interface MarketBooks {
  /** Per `${group}|${period}`; absent when balancing has no settled version. */
  readonly groupPeriods: ReadonlyMap<string, GroupPeriodBook>;
  /** Ledger balance per account (minor units). */
  readonly ledger: ReadonlyMap<string, string>;
  /** Per `${period}|plant P` or `${period}|holder H`: the row of the period's latest allocation version. */
  readonly allocations: ReadonlyMap<string, string>;
  /** Per period: finalized on chain. */
  readonly finalized: ReadonlyMap<string, boolean>;
}

export async function readBooks(market: RunningMarket): Promise<MarketBooks> {
  const balancing = market.services.url('balancing');
  // Balancing's group-period details, proofs and ledger are read in the market operator's session.
  const headers = { authorization: await signSession(market.chain.marketOperator, authEnvironment(market.chain.chainId, market.chain.cascadeAddress)) };
  const groupPeriods = new Map<string, GroupPeriodBook>();
  const finalized = new Map<string, boolean>();
  for (const periodId of market.periodIds) {
    const periodStart = BigInt(parsePeriodId(periodId) / 1000);
    for (const groupId of market.population.groups) {
      const view = await callJson<{ versions: GroupPeriodBook['versions']; latest: (GroupPeriodBook['versions'][number] & { scheduleNetWh: string }) | null }>(`${balancing}/groups/${groupId}/periods/${periodId}`, { headers }).catch(
        (error: unknown) => {
          if (error instanceof ServiceCallError && error.status === 404) return null;
          throw error;
        },
      );
      if (!view?.latest) continue;
      const latest = view.latest;
      const rootOnChain = String(await market.chain.cascade.getFunction('rootOf')(groupKey(groupId), periodStart, latest.version));
      const leaves = await readLeaves(balancing, headers, groupId, periodId, latest.version, market.population.meters.filter((meter) => meter.groupId === groupId));
      groupPeriods.set(`${groupId}|${periodId}`, {
        versions: view.versions.map((v) => ({ version: v.version, merkleRoot: v.merkleRoot, feedInWh: v.feedInWh, feedOutWh: v.feedOutWh, imbalanceWh: v.imbalanceWh, imbalanceAmount: v.imbalanceAmount, substitutedCount: v.substitutedCount })),
        feedInWh: BigInt(latest.feedInWh),
        feedOutWh: BigInt(latest.feedOutWh),
        scheduleNetWh: BigInt(latest.scheduleNetWh),
        imbalanceWh: BigInt(latest.imbalanceWh),
        imbalanceAmount: latest.imbalanceAmount,
        merkleRoot: latest.merkleRoot,
        substitutedCount: latest.substitutedCount,
        rootOnChain,
        leaves,
      });
    }
    const state = (await market.chain.cascade.getFunction('periodState')(periodStart)) as unknown as [unknown, bigint, boolean, bigint];
    finalized.set(periodId, state[2]);
  }
  const ledger = new Map<string, string>();
  let next: string | null = '/ledger/balances?limit=1000';
  while (next) {
    const page: { items: { account: string; balance: string }[]; next: string | null } = await callJson(`${balancing}${next}`, { headers });
    for (const item of page.items) ledger.set(item.account, item.balance);
    next = page.next;
  }
  const allocations = new Map<string, string>();
  for (const [periodId, allocation] of market.observations.allocations) {
    for (const part of allocation.parts) {
      for (const plant of part.data.plants) allocations.set(`${periodId}|plant ${plant.plantId}`, `${plant.outputWh}/${plant.allocatedToHoldersWh}/${plant.operatorWh}`);
      for (const { holderId, ...row } of part.data.holders) allocations.set(`${periodId}|holder ${holderId}`, JSON.stringify(row));
    }
  }
  return { groupPeriods, ledger, allocations, finalized };
}

/** Each meter's leaf of one version, read through the proof API (salts left out). */
async function readLeaves(balancing: string, headers: Record<string, string>, groupId: string, periodId: string, version: number, meters: readonly SimMeter[]): Promise<Map<string, string>> {
  const leaves = new Map<string, string>();
  for (const meter of meters) {
    const proof = await callJson<{ leaf: [string, string, 0 | 1, string, string] }>(
      `${balancing}/groups/${groupId}/periods/${periodId}/proofs/${encodeURIComponent(meter.meterId)}?version=${version}&direction=${meter.direction}`,
      { headers },
    ).catch((error: unknown) => {
      if (error instanceof ServiceCallError && error.status === 404) return null;
      throw error;
    });
    if (proof) leaves.set(`${meter.meterId}/${meter.direction}`, proof.leaf[3]);
  }
  return leaves;
}

export interface BooksComparison {
  /** Wh the clean run settled that the chaotic run did not (per group-period and direction). */
  readonly whLost: bigint;
  /** Wh the chaotic run settled beyond the clean run's. */
  readonly whDuplicated: bigint;
  /**
   * Group-periods whose commitment differs: the latest version's leaves (meter, direction,
   * energy), or its root when both runs settled the same number of versions (same salts), or
   * a run whose chain holds another root than its latest (or one run never settled it).
   */
  readonly rootsDiffering: number;
  /**
   * Group-periods settled in a different number of versions with the same latest books: a
   * re-settlement with equal content (an exchange or price arriving after the first
   * settlement) depends on timing even in a clean run, so it is reported, not counted as a loss.
   */
  readonly versionCountsDiffering: number;
  /** Accounts whose balance differs (or exists in one run only). */
  readonly ledgerDiffering: number;
  readonly allocationsDiffering: number;
  /** Group-periods whose totals differ (feed-in, feed-out, schedules, imbalance, amount). */
  readonly totalsDiffering: number;
  /** Periods finalized in one run and not in the other. */
  readonly chainDiffering: number;
  /** Up to ten readable differences, for the report. */
  readonly examples: readonly string[];
}

/** Compares the chaotic run's books with the clean run's, key by key. */
export function compareBooks(clean: MarketBooks, chaotic: MarketBooks): BooksComparison {
  const examples: string[] = [];
  const note = (line: string): void => {
    if (examples.length < 10) examples.push(line);
  };
  let whLost = 0n;
  let whDuplicated = 0n;
  let rootsDiffering = 0;
  let versionCountsDiffering = 0;
  let totalsDiffering = 0;
  for (const key of union(clean.groupPeriods, chaotic.groupPeriods)) {
    const a = clean.groupPeriods.get(key);
    const b = chaotic.groupPeriods.get(key);
    for (const pick of [(x: GroupPeriodBook | undefined) => x?.feedInWh ?? 0n, (x: GroupPeriodBook | undefined) => x?.feedOutWh ?? 0n]) {
      const diff = pick(b) - pick(a);
      if (diff < 0n) whLost -= diff;
      if (diff > 0n) whDuplicated += diff;
    }
    if (!a || !b) {
      rootsDiffering += 1;
      totalsDiffering += 1;
      note(`${key}: settled only in the ${a ? 'clean' : 'chaotic'} run`);
      continue;
    }
    const anchoredElsewhere = [a, b].filter((x) => x.merkleRoot.toLowerCase() !== x.rootOnChain.toLowerCase());
    const leavesDiffer = leafDifference(a.leaves, b.leaves);
    const sameVersion = a.versions.length === b.versions.length;
    if (!sameVersion) versionCountsDiffering += 1;
    if (anchoredElsewhere.length > 0 || leavesDiffer !== null || (sameVersion && a.merkleRoot.toLowerCase() !== b.merkleRoot.toLowerCase())) {
      rootsDiffering += 1;
      if (anchoredElsewhere.length > 0) note(`${key}: latest root ${anchoredElsewhere.map((x) => `${x.merkleRoot} is not the chain's ${x.rootOnChain}`).join('; ')}`);
      else if (leavesDiffer !== null) note(`${key}: leaf ${leavesDiffer}`);
      else note(`${key}: root of version ${a.versions.length} ${a.merkleRoot} vs ${b.merkleRoot}`);
    }
    const totals = (x: GroupPeriodBook): string => [x.feedInWh, x.feedOutWh, x.scheduleNetWh, x.imbalanceWh, x.imbalanceAmount, x.substitutedCount].join('/');
    if (totals(a) !== totals(b)) {
      totalsDiffering += 1;
      note(`${key}: totals ${totals(a)} vs ${totals(b)}`);
    }
  }
  const differing = (x: ReadonlyMap<string, string | boolean>, y: ReadonlyMap<string, string | boolean>, what: string): number => {
    let count = 0;
    for (const key of union(x, y)) {
      if (x.get(key) === y.get(key)) continue;
      count += 1;
      note(`${what} ${key}: ${String(x.get(key))} vs ${String(y.get(key))}`);
    }
    return count;
  };
  const ledgerDiffering = differing(clean.ledger, chaotic.ledger, 'ledger');
  const allocationsDiffering = differing(clean.allocations, chaotic.allocations, 'allocation');
  const chainDiffering = differing(clean.finalized, chaotic.finalized, 'finalized');
  return { whLost, whDuplicated, rootsDiffering, versionCountsDiffering, ledgerDiffering, allocationsDiffering, totalsDiffering, chainDiffering, examples };
}

/** The first leaf that differs, as `meter/direction: Wh vs Wh` (null: the same leaves). */
function leafDifference(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string | null {
  for (const key of union(a, b)) if (a.get(key) !== b.get(key)) return `${key}: ${a.get(key) ?? 'none'} vs ${b.get(key) ?? 'none'}`;
  return null;
}

function union<K>(a: ReadonlyMap<K, unknown>, b: ReadonlyMap<K, unknown>): K[] {
  return [...new Set([...a.keys(), ...b.keys()])];
}
