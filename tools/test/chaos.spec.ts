import { compareBooks, type GroupPeriodBook, type MarketBooks } from '../src/chaos/books';
import { ChaosOptionsError, DEFAULT_CHAOS_OPTIONS, parseChaosOptions } from '../src/chaos/chaos-options';
import { countKinds, FAULT_KINDS, faultSchedule } from '../src/chaos/fault-schedule';

describe('chaos: the seeded fault schedule', () => {
  it('is the same for the same seed and different for another', () => {
    const a = faultSchedule({ seed: 's', periods: 16, faults: 24 });
    expect(faultSchedule({ seed: 's', periods: 16, faults: 24 })).toEqual(a);
    expect(faultSchedule({ seed: 't', periods: 16, faults: 24 })).not.toEqual(a);
  });

  it('holds every kind at least once, kills several times each, in period order', () => {
    const schedule = faultSchedule({ seed: 'gridledger-chaos', periods: 16, faults: 24 });
    expect(schedule).toHaveLength(24);
    const kinds = countKinds(schedule);
    for (const kind of FAULT_KINDS) expect(kinds[kind]).toBeGreaterThanOrEqual(kind.startsWith('kill-') ? 2 : 1);
    expect(kinds['delete-stream-message']).toBe(1);
    expect(Object.keys(kinds).length).toBeGreaterThanOrEqual(6);
    expect(schedule.map((f) => f.afterPeriod)).toEqual([...schedule.map((f) => f.afterPeriod)].sort((x, y) => x - y));
    for (const fault of schedule) expect(fault.afterPeriod).toBeLessThan(16);
  });

  it('deletes one message, never in the first period', () => {
    for (const seed of ['x', 'y', 'z']) {
      const schedule = faultSchedule({ seed, periods: 8, faults: 12, kinds: ['delete-stream-message', 'kill-balancing'] });
      const deletions = schedule.filter((f) => f.kind === 'delete-stream-message').map((f) => f.afterPeriod);
      expect(deletions).toHaveLength(1);
      expect(deletions).not.toContain(0);
    }
  });

  it('draws only the kinds asked for', () => {
    const schedule = faultSchedule({ seed: 'x', periods: 4, faults: 6, kinds: ['restart-nats', 'evm-reorg'] });
    expect(new Set(schedule.map((f) => f.kind))).toEqual(new Set(['restart-nats', 'evm-reorg']));
  });
});

describe('chaos: comparing the books of two runs', () => {
  const row = (feedInWh: bigint, root = '0xaa'): GroupPeriodBook => ({
    versions: [{ version: 1, merkleRoot: root, feedInWh: String(feedInWh), feedOutWh: '5', imbalanceWh: String(feedInWh - 5n), imbalanceAmount: '1', substitutedCount: 0 }],
    feedInWh,
    feedOutWh: 5n,
    scheduleNetWh: 0n,
    imbalanceWh: feedInWh - 5n,
    imbalanceAmount: '1',
    merkleRoot: root,
    substitutedCount: 0,
    rootOnChain: root,
    leaves: new Map([['M1/consumption', '5'], ['P1/production', String(feedInWh)]]),
  });
  const books = (rows: [string, GroupPeriodBook][], ledger: [string, string][] = [['a', '1']]): MarketBooks => ({
    groupPeriods: new Map(rows),
    ledger: new Map(ledger),
    allocations: new Map([['p|plant W', '1/1/0']]),
    finalized: new Map([['p', true]]),
  });

  it('reports a different number of versions with the same leaves apart from a root difference (each version salts anew)', () => {
    const twice: GroupPeriodBook = { ...row(10n, '0xcc'), versions: [...row(10n).versions, { ...row(10n).versions[0], version: 2, merkleRoot: '0xcc' }] };
    expect(compareBooks(books([['G|p', row(10n)]]), books([['G|p', twice]]))).toMatchObject({ rootsDiffering: 0, versionCountsDiffering: 1, totalsDiffering: 0 });
  });

  it('counts a root difference when the leaves differ, when the same version has another root, or when the chain holds another root', () => {
    const moved: GroupPeriodBook = { ...row(10n), leaves: new Map([['M1/consumption', '4'], ['M2/consumption', '1'], ['P1/production', '10']]) };
    const moving = compareBooks(books([['G|p', row(10n)]]), books([['G|p', moved]]));
    expect(moving.rootsDiffering).toBe(1);
    expect(moving.examples).toEqual(['G|p: leaf M1/consumption: 5 vs 4']);
    expect(compareBooks(books([['G|p', row(10n)]]), books([['G|p', row(10n, '0xbb')]])).examples).toEqual(['G|p: root of version 1 0xaa vs 0xbb']);
    const unanchored: GroupPeriodBook = { ...row(10n), rootOnChain: '0x00' };
    expect(compareBooks(books([['G|p', row(10n)]]), books([['G|p', unanchored]])).examples).toEqual(["G|p: latest root 0xaa is not the chain's 0x00"]);
  });

  it('finds no difference between equal books', () => {
    const a = books([['G|p', row(10n)]]);
    expect(compareBooks(a, books([['G|p', row(10n)]]))).toMatchObject({ whLost: 0n, whDuplicated: 0n, rootsDiffering: 0, ledgerDiffering: 0, totalsDiffering: 0, examples: [] });
  });

  it('counts Wh lost and duplicated per group-period, roots and ledger accounts that differ', () => {
    const clean = books([['G|p', row(10n)], ['H|p', row(7n)], ['K|p', row(3n)]]);
    const chaotic = books([['G|p', row(8n, '0xbb')], ['H|p', row(9n)]], [['a', '2'], ['b', '0']]);
    const result = compareBooks(clean, chaotic);
    // G lost 2, K (never settled) lost 3 + 5 feed-out; H has 2 too many (its plant's leaf differs too).
    expect(result.whLost).toBe(10n);
    expect(result.whDuplicated).toBe(2n);
    expect(result.rootsDiffering).toBe(3);
    expect(result.totalsDiffering).toBe(3);
    expect(result.ledgerDiffering).toBe(2);
    expect(result.examples.join('\n')).toContain('K|p: settled only in the clean run');
  });
});

describe('chaos: options', () => {
  it('defaults to ≥20 faults and parses flags', () => {
    expect(parseChaosOptions([])).toEqual(DEFAULT_CHAOS_OPTIONS);
    expect(DEFAULT_CHAOS_OPTIONS.faults).toBeGreaterThanOrEqual(20);
    expect(parseChaosOptions(['--faults', '6', '--kinds', 'restart-nats,evm-reorg', '--recovery-timeout', '60'])).toMatchObject({ faults: 6, kinds: ['restart-nats', 'evm-reorg'], recoveryTimeoutMs: 60_000 });
  });

  it('refuses an unknown kind or flag, naming it', () => {
    expect(() => parseChaosOptions(['--kinds', 'meteor'])).toThrow(/unknown meteor/);
    expect(() => parseChaosOptions(['--bogus', '1'])).toThrow(ChaosOptionsError);
    expect(() => parseChaosOptions(['--meters', '-3'])).toThrow(/--meters must be a whole number/);
  });
});
