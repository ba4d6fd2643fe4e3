import type { DataSource } from 'typeorm';
import { CapacityErrorCode } from '@gridledger/capacity';
import { MESSAGING_ENTITIES, openDataSource } from '@gridledger/persistence';
import { createTestDatabase, mulberry32, type TestDatabase } from '@gridledger/testing';
import { MIGRATIONS, SCHEMA } from '../src/migrations';
import { appendEvents, plantStreamId } from '../src/persistence/event-store';
import { rebuildShareProjections } from '../src/persistence/shares-projection.repository';
import { SharesService } from '../src/shares/shares.service';

/**
 * The event store is the truth of plants, holders and holdings; their tables are projections.
 * A realistic history, then: drop the projections, rebuild them from the events alone, and
 * the tables are identical, row for row (holdings compared without their serial id, which
 * only numbers insertions).
 */
describe('capacity projections rebuilt from the event store', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let shares: SharesService;
  const operator = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
  const plantIds = ['pv-1', 'wind-1', 'hydro-1'];
  const holders = Array.from({ length: 20 }, (_, i) => `h${String(i).padStart(2, '0')}`);
  const t0 = Date.parse('2026-03-29T00:00:00Z');
  const at = (ms: number): Date => new Date(t0 + ms);

  /** The three projection tables, every column, in a stable order. */
  async function projections(): Promise<{ plants: unknown[]; holders: unknown[]; holdings: unknown[] }> {
    return {
      plants: await dataSource.query(`SELECT * FROM plants ORDER BY plant_id COLLATE "C"`),
      holders: await dataSource.query(`SELECT * FROM holders ORDER BY holder_id COLLATE "C"`),
      holdings: await dataSource.query(
        `SELECT plant_id, holder_id, shares_w, valid_from, valid_to FROM holdings
         ORDER BY plant_id COLLATE "C", holder_id COLLATE "C", valid_from, valid_to NULLS LAST, shares_w`,
      ),
    };
  }

  async function truncateAndRebuild(): Promise<{ plants: number; holders: number; holdings: number }> {
    await dataSource.query(`TRUNCATE holdings, plants, holders`);
    expect(await projections()).toEqual({ plants: [], holders: [], holdings: [] });
    return dataSource.transaction((em) => rebuildShareProjections(em));
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDataSource({ url: db.url, schema: SCHEMA, entities: MESSAGING_ENTITIES, migrations: MIGRATIONS, poolSize: 16 });
    shares = new SharesService(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('a market history (registrations, issues, 1,000 concurrent transfers, retirements) rebuilds identically', async () => {
    const kinds = { pv: 'pv', wind: 'wind', hydro: 'hydro' } as const;
    for (const [i, plantId] of plantIds.entries()) {
      const kind = kinds[plantId.split('-')[0] as keyof typeof kinds];
      await shares.registerPlant({ plantId, kind, meterId: `M-${plantId}`, capacityW: 100_000n, operator, groupId: `BG-${i}`, feePerMWPeriodCents: 285n }, at(0));
    }
    await expect(
      shares.registerPlant({ plantId: 'pv-2', kind: 'pv', meterId: 'M-pv-1', capacityW: 1n, operator, groupId: 'BG-0', feePerMWPeriodCents: 0n }, at(0)),
    ).rejects.toMatchObject({ code: CapacityErrorCode.PlantAlreadyRegistered, kind: 'conflict' });
    for (const holderId of holders) await shares.registerHolder({ holderId, consumptionMeterId: `C-${holderId}`, groupId: 'BG-H' }, at(1_000));

    for (const [p, plantId] of plantIds.entries()) {
      for (const holderId of holders.slice(p * 5, p * 5 + 8)) await shares.execute({ type: 'IssueShares', plantId, holderId, sharesW: 9_000n }, at(60_000));
    }
    const random = mulberry32(7);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const transfers = Array.from({ length: 1_000 }, (_, i) => {
      const from = pick(holders);
      let to = pick(holders);
      if (to === from) to = holders[(holders.indexOf(from) + 1) % holders.length];
      return { plantId: pick(plantIds), from, to, sharesW: BigInt(1 + Math.floor(random() * 4_000)), atMs: 120_000 + i * 500 };
    });
    const results = await Promise.allSettled(
      transfers.map((x) => shares.execute({ type: 'TransferShares', plantId: x.plantId, fromHolderId: x.from, toHolderId: x.to, sharesW: x.sharesW }, at(x.atMs))),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(100);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: CapacityErrorCode.InsufficientShares });
    for (const plantId of plantIds) {
      const [holding] = await dataSource.query(`SELECT holder_id, shares_w FROM holdings WHERE plant_id = $1 AND valid_to IS NULL ORDER BY shares_w DESC LIMIT 1`, [plantId]);
      await shares.execute({ type: 'RetireShares', plantId, holderId: holding.holder_id, sharesW: BigInt(holding.shares_w) }, at(900_000));
    }
    // A clock that stepped back: the change is dated at the plant's last change, not before.
    const late = await shares.execute({ type: 'IssueShares', plantId: 'pv-1', holderId: 'h19', sharesW: 1n }, at(30_000));
    expect(late.effectiveAt).toBe(at(900_000).toISOString());

    const live = await projections();
    expect(live.plants).toHaveLength(3);
    expect(live.holders).toHaveLength(20);
    expect(live.holdings.length).toBeGreaterThan(500);
    const [{ events }] = await dataSource.query(`SELECT count(*)::int AS events FROM events`);

    expect(await truncateAndRebuild()).toEqual({ plants: 3, holders: 20, holdings: live.holdings.length });
    expect(await projections()).toEqual(live);
    // The rebuild wrote projections only: the log is what it was.
    expect(await dataSource.query(`SELECT count(*)::int AS events FROM events`)).toEqual([{ events }]);
  }, 180_000);

  it('decides from the events, not the tables, and a rebuild repairs a tampered projection', async () => {
    const before = await projections();
    const [row] = await dataSource.query(`SELECT holder_id, shares_w FROM holdings WHERE plant_id = 'wind-1' AND valid_to IS NULL ORDER BY holder_id LIMIT 1`);
    await dataSource.query(`UPDATE holdings SET shares_w = 1 WHERE plant_id = 'wind-1' AND holder_id = $1 AND valid_to IS NULL`, [row.holder_id]);
    await dataSource.query(`UPDATE plants SET issued_w = 0`);
    // The stream says the holder holds row.shares_w, so a transfer of all of it goes through.
    const moved = await shares.execute({ type: 'TransferShares', plantId: 'wind-1', fromHolderId: row.holder_id, toHolderId: 'h19', sharesW: BigInt(row.shares_w) }, at(1_000_000));
    expect(moved.balances.find(([holderId]) => holderId === row.holder_id)).toEqual([row.holder_id, 0n]);

    await truncateAndRebuild();
    const issued = (tables: { plants: unknown[] }): string[] => tables.plants.map((plant) => (plant as { issued_w: string }).issued_w);
    expect(issued(await projections())).toEqual(issued(before));
    const closed = await dataSource.query(`SELECT shares_w FROM holdings WHERE plant_id = 'wind-1' AND holder_id = $1 AND valid_to = $2`, [row.holder_id, at(1_000_000)]);
    expect(closed).toEqual([{ shares_w: row.shares_w }]);
  });

  it('refuses an append after a version that is no longer the last (the optimistic check)', async () => {
    const [{ version }] = await dataSource.query(`SELECT max(stream_version) AS version FROM events WHERE stream_id = 'plant:pv-1'`);
    const retired = { type: 'SharesRetired', plantId: 'pv-1', holderId: 'h19', sharesW: 1n, at: at(1_050_000).toISOString() } as const;
    await expect(dataSource.transaction((em) => appendEvents(em, plantStreamId('pv-1'), version - 1, [retired]))).rejects.toMatchObject({ driverError: { code: '23505' } });
    expect(await dataSource.query(`SELECT max(stream_version) AS version FROM events WHERE stream_id = 'plant:pv-1'`)).toEqual([{ version }]);
  });

  it('a rebuild while transfers run misses none of them', async () => {
    const running = Array.from({ length: 200 }, (_, i) =>
      shares.execute({ type: 'TransferShares', plantId: plantIds[i % 3], fromHolderId: holders[i % 20], toHolderId: holders[(i + 7) % 20], sharesW: 1n + BigInt(i % 50) }, at(1_100_000 + i)),
    );
    const rebuilt = dataSource.transaction((em) => rebuildShareProjections(em));
    await Promise.allSettled(running);
    await rebuilt;
    const live = await projections();
    await truncateAndRebuild();
    expect(await projections()).toEqual(live);
  }, 60_000);
});
