import type { Plant, Holder } from '@gridledger/capacity';
import { CapacitySharesRecorded, MarketPricesPublished, MeterIntervalsMeasured } from '@gridledger/events';
import { readStreamSubject, type MessagingClient } from '@gridledger/messaging';
import { bootstrapService, type RunningService } from '@gridledger/service-kit';
import { connectTestMessaging, createTestDatabase, deleteNamespaceStreams, measuredIntervalsBatch, randomNamespace, testNatsEnv, waitFor, type TestDatabase } from '@gridledger/testing';
import type { CapacityMarketConfig } from '../src/config';
import { capacityMarketService } from '../src/service';
import { SharesService } from '../src/shares/shares.service';
import { startCapacityChain, type CapacityChain } from './support/capacity-service';

/**
 * Rebuild from the log (docs/integrity.md): capacity-market's database is dropped and it is
 * started again on an empty one (new consumer prefix). The share registry comes back from its
 * own `capacity.shares.recorded` events on the CAPACITY stream, its allocation versions from its
 * own `capacity.allocation.computed` events there (a version made by a late meter value
 * included), meter values and prices from METER and MARKET; the allocations, postings and
 * exchanges are the ones of the first run, row for row, and the replayed values make no
 * version of their own.
 */
const P = '2026-03-29T01:00:00Z';
const P1 = '2026-03-29T01:15:00Z';
const OPERATOR = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
const MPO = `0x${'11'.repeat(20)}`;

const plants: Plant[] = [
  { plantId: 'pv-1', kind: 'pv', meterId: 'M-PV-1', capacityW: 10_000n, operator: OPERATOR, groupId: 'BG-A', feePerMWPeriodCents: 300_000n },
  { plantId: 'wind-1', kind: 'wind', meterId: 'M-W-1', capacityW: 3n, operator: OPERATOR, groupId: 'BG-B', feePerMWPeriodCents: 0n },
];
const holders: Holder[] = [
  { holderId: 'alice', consumptionMeterId: 'M-C-A', groupId: 'BG-A' },
  { holderId: 'bob', consumptionMeterId: 'M-C-B', groupId: 'BG-B' },
  { holderId: 'carol', consumptionMeterId: 'M-C-C', groupId: 'BG-C' },
];
const values: Record<string, Array<[string, 'production' | 'consumption', bigint]>> = {
  [P]: [['M-PV-1', 'production', 1_001n], ['M-W-1', 'production', 10n], ['M-C-A', 'consumption', 300n], ['M-C-B', 'consumption', 1_000n], ['M-C-C', 'consumption', 0n]],
  [P1]: [['M-PV-1', 'production', 2_017n], ['M-W-1', 'production', 7n], ['M-C-A', 'consumption', 400n], ['M-C-B', 'consumption', 100n], ['M-C-C', 'consumption', 50n]],
};

describe('capacity-market rebuilt from the log on an empty database', () => {
  const namespace = randomNamespace();
  let db: TestDatabase;
  let messaging: MessagingClient;
  // The service's signed writes and sessions need a role registry to start; this suite calls SharesService directly.
  let roles: CapacityChain;
  let service: RunningService<CapacityMarketConfig> | undefined;

  const start = (consumerPrefix: string) =>
    bootstrapService(
      capacityMarketService({
        DATABASE_URL: db.url,
        ...testNatsEnv(),
        NATS_NAMESPACE: namespace,
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        // After P+1 has ended, before its grace: a period is computed once all its meters are in.
        CAPACITY_CLOCK_START: '2026-03-29T01:35:00Z',
        CAPACITY_WORKER_INTERVAL_MS: '200',
        CAPACITY_PART_SIZE: '2',
        CAPACITY_CONSUMER_PREFIX: consumerPrefix,
        ...roles.env,
      }),
    );

  const query = <T = Record<string, unknown>>(sql: string): Promise<T[]> => (service as RunningService<CapacityMarketConfig>).dataSource.query(sql);

  /** Everything the share registry and the allocations hold, every column but serial ids. */
  async function books(): Promise<Record<string, unknown[]>> {
    return {
      events: await query(`SELECT stream_id, stream_version, type, data, occurred_at FROM events ORDER BY stream_id COLLATE "C", stream_version`),
      plants: await query(`SELECT * FROM plants ORDER BY plant_id COLLATE "C"`),
      holders: await query(`SELECT * FROM holders ORDER BY holder_id COLLATE "C"`),
      holdings: await query(`SELECT plant_id, holder_id, shares_w, valid_from, valid_to FROM holdings ORDER BY plant_id COLLATE "C", holder_id COLLATE "C", valid_from`),
      versions: await query(`SELECT period_id, version, reason, digest, energy_price_per_mwh, holder_count, plant_count, computed_at FROM allocation_versions ORDER BY period_id, version`),
      plantAllocations: await query(`SELECT * FROM plant_allocations ORDER BY period_id, version, plant_id COLLATE "C"`),
      holderAllocations: await query(`SELECT * FROM holder_allocations ORDER BY period_id, version, holder_id COLLATE "C"`),
      holdingAllocations: await query(`SELECT * FROM holding_allocations ORDER BY period_id, version, holder_id COLLATE "C", plant_id COLLATE "C"`),
      ledger: await query(`SELECT * FROM ledger_entries ORDER BY posting_id COLLATE "C", account COLLATE "C"`),
      exchanges: await query(`SELECT * FROM published_exchanges ORDER BY period_id, version, from_group COLLATE "C", to_group COLLATE "C"`),
    };
  }

  beforeAll(async () => {
    roles = await startCapacityChain();
    db = await createTestDatabase();
    messaging = await connectTestMessaging({ namespace, name: 'capacity-rebuild-test' });
    await messaging.ensureStreams();
  }, 60_000);

  afterAll(async () => {
    await service?.close();
    await messaging?.close();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
    await roles?.close();
  });

  it('drops the database, starts again, and holds identical shares, holdings, allocations, postings and exchanges', async () => {
    service = await start('cm-run1');
    const shares = service.app.get(SharesService);
    const at = (iso: string): Date => new Date(iso);
    for (const plant of plants) await shares.registerPlant(plant, at('2026-03-29T00:50:00Z'));
    for (const holder of holders) await shares.registerHolder(holder, at('2026-03-29T00:51:00Z'));
    await shares.execute({ type: 'IssueShares', plantId: 'pv-1', holderId: 'alice', sharesW: 5_000n }, at('2026-03-29T00:52:00Z'));
    await shares.execute({ type: 'IssueShares', plantId: 'pv-1', holderId: 'bob', sharesW: 2_500n }, at('2026-03-29T00:53:00Z'));
    await shares.execute({ type: 'IssueShares', plantId: 'wind-1', holderId: 'bob', sharesW: 1n }, at('2026-03-29T00:54:00Z'));
    await shares.execute({ type: 'IssueShares', plantId: 'wind-1', holderId: 'carol', sharesW: 1n }, at('2026-03-29T00:55:00Z'));
    await shares.execute({ type: 'TransferShares', plantId: 'pv-1', fromHolderId: 'bob', toHolderId: 'carol', sharesW: 500n }, at('2026-03-29T00:56:00Z'));
    // Within P: these holdings count from P+1 on (the holdings at a period's start are the ones allocated).
    await shares.execute({ type: 'TransferShares', plantId: 'pv-1', fromHolderId: 'alice', toHolderId: 'carol', sharesW: 1_234n }, at('2026-03-29T01:07:00Z'));
    await shares.execute({ type: 'RetireShares', plantId: 'wind-1', holderId: 'bob', sharesW: 1n }, at('2026-03-29T01:08:00Z'));

    for (const periodId of [P, P1]) {
      await messaging.publishEvent(
        MarketPricesPublished,
        MarketPricesPublished.create({ data: { periodId, imbalancePricePerMWh: '12345', energyPricePerMWh: '8000' }, idParts: [periodId, '8000'], occurredAt: '2026-03-29T01:31:00Z' }),
      );
      // Two MPO batches per period, so the period is complete only when both are in.
      for (const [part, rows] of [values[periodId].slice(0, 2), values[periodId].slice(2)].entries()) {
        const batch = measuredIntervalsBatch({
          label: `${periodId}-${part}`,
          mpo: MPO,
          groupId: 'BG-A',
          receivedAt: '2026-03-29T01:31:00Z',
          intervals: rows.map(([meterId, direction, energyWh]) => ({ meterId, direction, periodId, energyWh })),
          occurredAt: '2026-03-29T01:31:00Z',
        });
        await messaging.publishEvent(MeterIntervalsMeasured, batch, 'BG-A');
      }
    }
    await waitFor(async () => (await query(`SELECT 1 FROM allocation_versions`)).length === 2, { timeoutMs: 30_000, what: 'P and P+1 computed' });
    // A late value: carol's consumption in P was 50 Wh, not 0, so P gets version 2 (reversals, other exchanges' versions).
    await messaging.publishEvent(
      MeterIntervalsMeasured,
      measuredIntervalsBatch({ label: `${P}-late`, mpo: MPO, groupId: 'BG-A', receivedAt: '2026-03-29T01:36:00Z', intervals: [{ meterId: 'M-C-C', direction: 'consumption', periodId: P, energyWh: 50n }], occurredAt: '2026-03-29T01:36:00Z' }),
      'BG-A',
    );
    await waitFor(async () => (await query(`SELECT 1 FROM allocation_versions`)).length === 3, { timeoutMs: 30_000, what: 'P version 2' });
    // Every outbox row out (share records, allocations, exchanges) before the database goes.
    await waitFor(async () => (await query(`SELECT 1 FROM outbox WHERE published_at IS NULL`)).length === 0, { timeoutMs: 15_000, what: 'the outbox relayed' });
    const before = await books();
    expect(before.events).toHaveLength(12);
    expect(before.versions).toEqual([
      expect.objectContaining({ period_id: P, version: 1, reason: 'complete' }),
      expect.objectContaining({ period_id: P, version: 2, reason: 'recomputed (complete)' }),
      expect.objectContaining({ period_id: P1, version: 1, reason: 'complete' }),
    ]);
    expect(before.holderAllocations).toContainEqual(expect.objectContaining({ period_id: P, version: 2, holder_id: 'carol', consumed_wh: '50' }));
    expect(before.ledger).toContainEqual(expect.objectContaining({ period_id: P, version: 2, posting_id: expect.stringContaining('/reversal:') }));
    // The holdings moved inside P: P+1 is allocated on other shares than P (carol holds more pv-1, bob no wind-1).
    expect(before.holdingAllocations).toContainEqual(expect.objectContaining({ period_id: P1, holder_id: 'carol', plant_id: 'pv-1', shares_w: '1734' }));
    expect(before.holdingAllocations).not.toContainEqual(expect.objectContaining({ period_id: P1, holder_id: 'bob', plant_id: 'wind-1' }));
    expect(before.exchanges.length).toBeGreaterThan(0);
    expect(before.ledger.length).toBeGreaterThan(0);

    // The registry is on the stream, one record per stored event, in the store's order per stream.
    const recorded: string[] = [];
    await readStreamSubject(messaging, 'CAPACITY', CapacitySharesRecorded.subject(), (msg) => {
      const { data } = CapacitySharesRecorded.parse(msg.json());
      recorded.push(`${data.streamId}#${data.streamVersion}`);
    });
    expect(recorded.sort()).toEqual(before.events.map((e) => `${(e as { stream_id: string }).stream_id}#${(e as { stream_version: number }).stream_version}`).sort());

    // Drop the database; start on an empty one.
    await service.close();
    service = undefined;
    await db.drop();
    db = await createTestDatabase();
    service = await start('cm-run2');
    expect(await query(`SELECT count(*)::int AS n FROM events`)).toEqual([{ n: 12 }]);
    // Adopted before the consumers start: all three versions are there at once.
    expect(await query(`SELECT period_id, version FROM allocation_versions ORDER BY period_id, version`)).toEqual([
      { period_id: P, version: 1 },
      { period_id: P, version: 2 },
      { period_id: P1, version: 1 },
    ]);
    // The replay: every value in (carol's late 50 Wh too), prices in, the periods looked at again and left as they are.
    await waitFor(
      async () => {
        const [state] = await query<{ n_values: number; late: number; prices: number; dirty: number }>(
          `SELECT (SELECT count(*)::int FROM meter_values) AS n_values,
                  (SELECT count(*)::int FROM meter_values WHERE meter_id = 'M-C-C' AND period_id = '${P}' AND energy_wh = 50) AS late,
                  (SELECT count(*)::int FROM prices) AS prices,
                  (SELECT count(*)::int FROM periods WHERE dirty) AS dirty`,
        );
        return state.n_values === 10 && state.late === 1 && state.prices === 2 && state.dirty === 0;
      },
      { timeoutMs: 30_000, what: 'METER and MARKET replayed and the periods checked' },
    );
    // Let a wrongly late recomputation show up, if there were one.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await books()).toEqual(before);
    // Nothing published again: the adopted versions and exchanges are on the stream already.
    expect(await query(`SELECT count(*)::int AS n FROM outbox`)).toEqual([{ n: 0 }]);

    // The rebuilt registry decides on the rebuilt history: carol holds 1,734 W of pv-1, not more.
    const rebuiltShares = service.app.get(SharesService);
    await expect(rebuiltShares.execute({ type: 'TransferShares', plantId: 'pv-1', fromHolderId: 'carol', toHolderId: 'bob', sharesW: 1_735n }, at('2026-03-29T01:40:00Z'))).rejects.toMatchObject({ code: 'INSUFFICIENT_SHARES' });
    const moved = await rebuiltShares.execute({ type: 'TransferShares', plantId: 'pv-1', fromHolderId: 'carol', toHolderId: 'bob', sharesW: 1_734n }, at('2026-03-29T01:40:00Z'));
    expect(moved.balances).toEqual(expect.arrayContaining([['carol', 0n]]));
    // Its version continues the stream's: the next record is plant:pv-1 version 6, new on the stream.
    expect(await query(`SELECT max(stream_version) AS v FROM events WHERE stream_id = 'plant:pv-1'`)).toEqual([{ v: 6 }]);
  }, 120_000);
});
