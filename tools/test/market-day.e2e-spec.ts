import { compareBooks, readBooks, type MarketBooks } from '../src/chaos/books';
import { driveMarketDay, type MarketDayHooks, waitUntilAnchored } from '../src/demo/market-day';
import { defaultOptions, type MarketDayOptions } from '../src/demo/options';
import { collectSummary, formatSummary, type MarketDaySummary } from '../src/demo/summary';

/**
 * The whole system, end to end, the way `npm run demo` runs it: a small market day from
 * signed readings to finalized periods on a local chain. Run twice with the same seed, once
 * with balancing killed (SIGKILL) mid-run and restarted: the books must come out the same.
 */
const options: MarketDayOptions = { ...defaultOptions(Date.now()), meters: 80, groups: 2, periods: 4, seed: 'e2e-market-day', timeoutMs: 240_000 };
const quiet = (): void => undefined;

interface MarketDayRun {
  readonly summary: MarketDaySummary;
  readonly books: MarketBooks;
}

/** The day as `npm run demo` drives it, with its summary and its books (tools/src/chaos/books). */
function runMarketDay(hooks: MarketDayHooks): Promise<MarketDayRun> {
  return driveMarketDay(options, quiet, hooks, async (market, expected) => {
    if (!(await waitUntilAnchored(market.observations, market.population, market.periodIds, options.timeoutMs, quiet))) throw new Error('not every period was anchored in time');
    return { summary: await collectSummary({ ...market, expected }), books: await readBooks(market) };
  });
}

describe('a market day across all four services', () => {
  let uninterrupted: MarketDayRun;
  let interrupted: MarketDayRun;
  let restarts = 0;

  beforeAll(async () => {
    // One leaf-salt key for both runs: each run's balancing starts on a new database, and the roots compared must salt alike.
    const serviceEnv = { BALANCING_LEAF_SALT_KEY: `0x${'5a'.repeat(32)}` };
    uninterrupted = await runMarketDay({ handleSignals: false, serviceEnv });
    interrupted = await runMarketDay({
      handleSignals: false,
      serviceEnv,
      async afterPeriodSubmitted(index, services) {
        if (index !== 1) return;
        await services.restart('balancing');
        restarts += 1;
      },
    });
  }, 600_000);

  it('holds every invariant: conservation, exactly once, ledger, allocations, chain roots and proofs', () => {
    for (const run of [uninterrupted, interrupted]) {
      const failed = run.summary.invariants.filter((check) => !check.ok);
      expect(failed).toEqual([]);
      expect(run.summary.invariants).toHaveLength(9);
    }
  });

  it('holds every invariant with real roles: every participant signed as itself, and the summary says who signed what', () => {
    for (const run of [uninterrupted, interrupted]) {
      const named = (name: string) => run.summary.signers.find((signer) => signer.name === name);
      const acts = (name: string): Record<string, number> => Object.fromEntries(named(name)?.acts.map((act) => [act.what, act.count]) ?? []);
      const groups = run.summary.periods[0].groups.map((group) => group.groupId).join(', ');
      expect(named('dso')?.roles).toContain('DSO of GA-DEMO');
      expect(acts('dso')['meter point registered (POST /meters)']).toBe(options.meters);
      for (const mpo of ['mpo-1', 'mpo-2']) {
        expect(named(mpo)?.roles).toEqual([`MPO of ${groups}`]);
        expect(acts(mpo)['reading batch (POST /readings)']).toBeGreaterThan(0);
      }
      expect(named('brp-committer')?.roles).toEqual([`BRP of ${groups}`]);
      expect(acts('brp-committer')['group-period commit on chain (root, totals, inputsDigest)']).toBeGreaterThanOrEqual(options.periods * options.groups);
      expect(named('tso')?.roles).toEqual(['TSO']);
      expect(acts('tso')['period finalization on chain']).toBeGreaterThanOrEqual(options.periods);
      expect(named('market operator')?.roles).toContain('MARKET_OPERATOR');
      expect(acts('market operator')["period prices (market.prices.published, the operator's NATS user)"]).toBe(options.periods);
      // Nobody signs for someone else: each of these is its own address.
      expect(new Set(['dso', 'mpo-1', 'mpo-2', 'brp-committer', 'tso', 'market operator'].map((name) => named(name)?.address)).size).toBe(6);
      expect(formatSummary(run.summary)).toContain('who signed what');
    }
  });

  it('settles every group and period, each anchored and finalized on chain', () => {
    for (const run of [uninterrupted, interrupted]) {
      expect(run.summary.periods).toHaveLength(options.periods);
      for (const period of run.summary.periods) {
        expect(period.finalizedOnChain).toBe(true);
        expect(period.groups).toHaveLength(options.groups);
        for (const group of period.groups) {
          expect(group.rootOnChain.toLowerCase()).toBe(group.merkleRoot.toLowerCase());
          expect(group.feedInWh - group.feedOutWh - group.scheduleNetWh).toBe(group.imbalanceWh);
        }
        expect(period.allocatedToHoldersWh + period.allocatedToOperatorsWh).toBe(period.plantOutputWh);
        expect(period.plantOutputWh > 0n).toBe(true);
      }
      expect(run.summary.ledgerTotalCents).toBe(0n);
      expect(run.summary.proof.verifiedOnChain).toBe(true);
    }
  });

  it('comes out the same when balancing is killed mid-run and restarted', () => {
    expect(restarts).toBe(1);
    // Same totals, leaves, ledger, allocations and finalization (docs/decisions.md, the chaos suite: roots through their leaves).
    const comparison = compareBooks(uninterrupted.books, interrupted.books);
    expect(comparison.examples).toEqual([]);
    expect(comparison).toMatchObject({ whLost: 0n, whDuplicated: 0n, rootsDiffering: 0, ledgerDiffering: 0, allocationsDiffering: 0, totalsDiffering: 0, chainDiffering: 0 });
    expect(uninterrupted.books.groupPeriods.size).toBe(options.groups * options.periods);
  });
});
