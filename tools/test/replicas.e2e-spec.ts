import { readBooks, type MarketBooks } from '../src/chaos/books';
import { compareBooks } from '../src/chaos/books';
import { driveMarketDay, waitUntilAnchored } from '../src/demo/market-day';
import { collectSummary, type MarketDaySummary } from '../src/demo/summary';
import { defaultOptions, type MarketDayOptions } from '../src/demo/options';

/**
 * Scale-out: two replicas of each of the four services on one Postgres database and one NATS
 * namespace take turns with the HTTP work and share the consumers and workers. The day must
 * come out exactly as with one replica of each: same totals, versions and roots, ledger,
 * allocations and chain state, with every invariant held (each value counted once).
 */
const options: MarketDayOptions = { ...defaultOptions(Date.now()), meters: 80, groups: 2, periods: 3, seed: 'e2e-replicas', timeoutMs: 240_000 };
const quiet = (): void => undefined;
// One leaf-salt key for both days (each starts balancing on a new database): equal versions must have equal roots.
const serviceEnv = { BALANCING_LEAF_SALT_KEY: `0x${'3c'.repeat(32)}` };

async function day(replicas: number): Promise<{ books: MarketBooks; summary: MarketDaySummary }> {
  return driveMarketDay(options, quiet, { handleSignals: false, replicas, serviceEnv }, async (market, expected) => {
    if (!(await waitUntilAnchored(market.observations, market.population, market.periodIds, options.timeoutMs, quiet))) throw new Error(`${replicas} replicas: not anchored in time`);
    return { books: await readBooks(market), summary: await collectSummary({ ...market, expected }) };
  });
}

describe('two replicas of every service', () => {
  let single: { books: MarketBooks; summary: MarketDaySummary };
  let doubled: { books: MarketBooks; summary: MarketDaySummary };

  beforeAll(async () => {
    single = await day(1);
    doubled = await day(2);
  }, 900_000);

  it('hold every invariant: each value settled once, roots on chain, allocations, ledger, proofs', () => {
    expect(doubled.summary.invariants.filter((check) => !check.ok)).toEqual([]);
    expect(doubled.books.groupPeriods.size).toBe(options.groups * options.periods);
    // A capacity exchange reaching balancing after the group's meters were complete settles a
    // second version (by design, in either run); what counts is that the latest is anchored.
    for (const book of doubled.books.groupPeriods.values()) expect(book.rootOnChain.toLowerCase()).toBe(book.merkleRoot.toLowerCase());
  });

  it('produce the same books as one replica of each', () => {
    const comparison = compareBooks(single.books, doubled.books);
    expect(comparison.examples).toEqual([]);
    expect(comparison).toMatchObject({ whLost: 0n, whDuplicated: 0n, rootsDiffering: 0, ledgerDiffering: 0, allocationsDiffering: 0, totalsDiffering: 0, chainDiffering: 0 });
  });
});
