import { waitFor } from '@gridledger/testing';
import { BridgeHarness, closedPeriod, settledPeriod } from './bridge.harness';

jest.setTimeout(180_000);

/**
 * New work wakes the chain worker (WorkerWakeup: NOTIFY in the handler's transaction, LISTEN
 * on the leader's connection) instead of waiting for the next poll: with a poll interval of
 * ten minutes, a settled version is on chain within seconds of its event.
 */
describe('chain-bridge: the worker wakes on new work', () => {
  const harness = new BridgeHarness();

  beforeAll(async () => {
    await harness.setUp();
    await harness.startBridge({ CHAIN_POLL_INTERVAL_MS: '600000', CHAIN_RETRY_MAX_MS: '600000' });
    // The first round has run once the cursor is written: the worker leads and listens, then sleeps.
    await waitFor(async () => (await harness.query(`SELECT 1 FROM chain_bridge.chain_cursor`)).length > 0, { timeoutMs: 60_000, what: 'the first chain round' });
  });
  afterAll(() => harness.tearDown());

  it('sends a commit for a settled version and picks up a period summary without waiting for the poll', async () => {
    const periodId = '2026-03-29T05:00:00Z';
    const settled = await settledPeriod({ groupId: 'GRP-ALPHA', periodId, version: 1, meters: [{ meterId: 'M-1', direction: 1, energyWh: 42n }] });
    await harness.publishSettled(settled.envelope);
    // Within 30 s, where the next poll would come after ten minutes.
    await waitFor(async () => (await harness.commitLogs('GRP-ALPHA', periodId)).length === 1, { timeoutMs: 30_000, intervalMs: 100, what: 'the commit on chain' });

    // A summary wakes it too: the row is looked at (and found waiting for GRP-BETA) at once.
    await harness.publishClosed(closedPeriod(periodId, 1, [settled.envelope]));
    const [row] = await waitFor(
      async () => {
        const rows = await harness.query<{ last_error: string | null }>(`SELECT last_error FROM chain_finalizer.period_finalization WHERE period_id = $1`, [periodId]);
        return rows[0]?.last_error ? rows : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the finalization looked at' },
    );
    expect(row.last_error).toMatch(/GroupsMissing|waiting for GRP-ALPHA v1 to be confirmed/);
  });
});
