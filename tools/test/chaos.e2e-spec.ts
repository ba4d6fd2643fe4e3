import { runChaos, type ChaosReport } from '../src/chaos/chaos-run';

/**
 * The chaos suite, small: a short market day run clean and then with a few faults of
 * different kinds (service kills mid-settlement and mid chain transaction, a NATS restart, a
 * reorg) on infrastructure of its own; the books of the two runs must be identical.
 * `npm run chaos` runs the full schedule (≥ 20 faults of every kind).
 */
describe('chaos: a market day with faults settles the same books as without', () => {
  let report: ChaosReport;

  beforeAll(async () => {
    report = await runChaos(
      { seed: 'e2e-chaos', meters: 30, groups: 2, periods: 2, faults: 5, kinds: ['kill-balancing', 'kill-chain-bridge', 'restart-nats', 'evm-reorg', 'dead-letter'], recoveryTimeoutMs: 180_000 },
      () => undefined,
    );
  }, 900_000);

  it('injects every fault of the schedule', () => {
    expect(report.faults).toBe(5);
    expect(Object.keys(report.kinds)).toHaveLength(5);
  });

  it('loses, duplicates and changes nothing', () => {
    expect(report.differences).toEqual([]);
    expect(report).toMatchObject({ whLost: '0', whDuplicated: '0', rootsDiffering: 0, ledgerDiffering: 0, allocationsDiffering: 0, totalsDiffering: 0, chainDiffering: 0 });
    expect(report.secondsToRecover).not.toBeNull();
  });
});
