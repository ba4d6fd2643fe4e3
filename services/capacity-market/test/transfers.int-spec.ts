import type { DataSource } from 'typeorm';
import { CapacityErrorCode, PlantSharesEvent, Stored, decodePlantSharesEvent, plantSharesDecider } from '@gridledger/capacity';
import { DomainError, foldEvents } from '@gridledger/domain';
import { MESSAGING_ENTITIES, openDataSource } from '@gridledger/persistence';
import { createTestDatabase, type TestDatabase } from '@gridledger/testing';
import { MIGRATIONS, SCHEMA } from '../src/migrations';
import { SharesService } from '../src/shares/shares.service';

/** Shares against the real Postgres: concurrency, capacity and the holdings timeline. */
describe('shares against Postgres', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let shares: SharesService;
  const operator = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
  const holders = Array.from({ length: 12 }, (_, i) => `h${String(i).padStart(2, '0')}`);

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = await openDataSource({ url: db.url, schema: SCHEMA, entities: MESSAGING_ENTITIES, migrations: MIGRATIONS, poolSize: 16 });
    shares = new SharesService(dataSource);
    const now = new Date('2026-03-29T00:00:00Z');
    for (const plantId of ['pv-1', 'wind-1']) {
      await shares.registerPlant({ plantId, kind: plantId.startsWith('pv') ? 'pv' : 'wind', meterId: `M-${plantId}`, capacityW: 100_000n, operator, groupId: 'BG-A', feePerMWPeriodCents: 285n }, now);
    }
    for (const holderId of holders) await shares.registerHolder({ holderId, consumptionMeterId: `C-${holderId}`, groupId: 'BG-B' }, now);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('refuses issuing beyond the nameplate capacity, and a holder or plant that does not exist', async () => {
    const now = new Date('2026-03-29T00:01:00Z');
    await shares.execute({ type: 'IssueShares', plantId: 'wind-1', holderId: 'h00', sharesW: 60_000n }, now);
    await expect(shares.execute({ type: 'IssueShares', plantId: 'wind-1', holderId: 'h01', sharesW: 40_001n }, now)).rejects.toMatchObject({
      code: CapacityErrorCode.BeyondCapacity,
      field: 'sharesW',
    });
    await expect(shares.execute({ type: 'IssueShares', plantId: 'wind-1', holderId: 'nobody', sharesW: 1n }, now)).rejects.toMatchObject({ code: CapacityErrorCode.HolderNotRegistered });
    await expect(shares.execute({ type: 'IssueShares', plantId: 'nuclear-1', holderId: 'h00', sharesW: 1n }, now)).rejects.toMatchObject({ code: CapacityErrorCode.PlantNotRegistered });
    const [plant] = await dataSource.query(`SELECT issued_w FROM plants WHERE plant_id = 'wind-1'`);
    expect(plant.issued_w).toBe('60000');
  });

  it('issuing concurrently never passes capacity', async () => {
    const now = new Date('2026-03-29T00:02:00Z');
    // 40,000 W left on wind-1; 30 concurrent issues of 2,000 W: exactly 20 fit.
    const results = await Promise.allSettled(holders.concat(holders, holders.slice(0, 6)).map((holderId) => shares.execute({ type: 'IssueShares', plantId: 'wind-1', holderId, sharesW: 2_000n }, now)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as DomainError).code).toBe(CapacityErrorCode.BeyondCapacity);
    const [plant] = await dataSource.query(`SELECT issued_w, capacity_w FROM plants WHERE plant_id = 'wind-1'`);
    expect(plant.issued_w).toBe('100000');
    const [{ total }] = await dataSource.query(`SELECT sum(shares_w)::text AS total FROM holdings WHERE plant_id = 'wind-1' AND valid_to IS NULL`);
    expect(total).toBe('100000');
  });

  it('1,000 concurrent random transfers leave every balance non-negative and the plant total unchanged', async () => {
    const start = new Date('2026-03-29T00:10:00Z');
    for (const holderId of holders.slice(0, 6)) await shares.execute({ type: 'IssueShares', plantId: 'pv-1', holderId, sharesW: 10_000n }, start);
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const transfers = Array.from({ length: 1_000 }, () => {
      const from = holders[random(holders.length)];
      let to = holders[random(holders.length)];
      if (to === from) to = holders[(holders.indexOf(from) + 1) % holders.length];
      // Amounts up to 5,000 W: often more than the sender holds at that moment.
      return { from, to, sharesW: BigInt(1 + random(5_000)) };
    });
    const results = await Promise.allSettled(
      transfers.map((t, i) => shares.execute({ type: 'TransferShares', plantId: 'pv-1', fromHolderId: t.from, toHolderId: t.to, sharesW: t.sharesW }, new Date(start.getTime() + 60_000 + i))),
    );
    const accepted = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const r of refused) expect((r.reason as DomainError).code).toBe(CapacityErrorCode.InsufficientShares);
    expect(accepted).toBeGreaterThan(50);
    expect(refused.length).toBeGreaterThan(0);

    const current: { holder_id: string; shares_w: string }[] = await dataSource.query(`SELECT holder_id, shares_w FROM holdings WHERE plant_id = 'pv-1' AND valid_to IS NULL`);
    for (const row of current) expect(BigInt(row.shares_w) > 0n).toBe(true);
    expect(current.reduce((sum, row) => sum + BigInt(row.shares_w), 0n)).toBe(60_000n);
    const [plant] = await dataSource.query(`SELECT issued_w FROM plants WHERE plant_id = 'pv-1'`);
    expect(plant.issued_w).toBe('60000');

    // The event store replays to the same balances, and holds exactly the accepted commands.
    const stored: { data: Stored<PlantSharesEvent> }[] = await dataSource.query(`SELECT data FROM events WHERE stream_id = 'plant:pv-1' ORDER BY stream_version`);
    const transfersStored = stored.filter((e) => e.data.type === 'SharesTransferred').length;
    expect(transfersStored).toBe(accepted);
    const state = foldEvents(
      plantSharesDecider,
      stored.map(({ data }) => decodePlantSharesEvent(data)),
    );
    expect(state.status === 'registered' && Object.fromEntries([...state.balances].map(([h, s]) => [h, s.toString()]))).toEqual(
      Object.fromEntries(current.map((row) => [row.holder_id, row.shares_w])),
    );
    // One open row per holder, and the timeline has no overlaps.
    const overlaps = await dataSource.query(
      `SELECT count(*)::int AS n FROM holdings a JOIN holdings b ON a.plant_id = b.plant_id AND a.holder_id = b.holder_id AND a.id < b.id
       WHERE a.valid_from < coalesce(b.valid_to, 'infinity') AND b.valid_from < coalesce(a.valid_to, 'infinity') AND a.valid_from <> coalesce(a.valid_to, 'infinity') AND b.valid_from <> coalesce(b.valid_to, 'infinity')`,
    );
    expect(overlaps[0].n).toBe(0);
    // The holdings valid at the start still read the issue, not any transfer.
    const atStart = await dataSource.query(`SELECT sum(shares_w)::text AS total, count(*)::int AS n FROM holdings WHERE plant_id = 'pv-1' AND valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1)`, [
      new Date(start.getTime() + 30_000),
    ]);
    expect(atStart[0]).toEqual({ total: '60000', n: 6 });
    // The snapshot the commands decided from is the fold of the stream, at its last version.
    expect(await snapshotOf('pv-1')).toEqual({ version: stored.length, issuedW: '60000', balances: Object.fromEntries(current.map((row) => [row.holder_id, row.shares_w])) });
  }, 120_000);

  it('a snapshot not at the stream’s last version is ignored: the command folds the stream and rewrites it', async () => {
    const now = new Date('2026-03-29T01:00:00Z');
    await shares.registerPlant({ plantId: 'hydro-1', kind: 'hydro', meterId: 'M-hydro-1', capacityW: 10_000n, operator, groupId: 'BG-A', feePerMWPeriodCents: 0n }, now);
    await shares.execute({ type: 'IssueShares', plantId: 'hydro-1', holderId: 'h00', sharesW: 6_000n }, now);
    // A snapshot one version behind and wrong (as if events had been appended without it): not trusted.
    await dataSource.query(`UPDATE plant_snapshots SET stream_version = 1, issued_w = 0 WHERE stream_id = 'plant:hydro-1'`);
    await dataSource.query(`DELETE FROM plant_snapshot_balances WHERE stream_id = 'plant:hydro-1'`);
    await expect(shares.execute({ type: 'IssueShares', plantId: 'hydro-1', holderId: 'h01', sharesW: 4_001n }, now)).rejects.toMatchObject({ code: CapacityErrorCode.BeyondCapacity });
    await expect(shares.execute({ type: 'RetireShares', plantId: 'hydro-1', holderId: 'h00', sharesW: 6_001n }, now)).rejects.toMatchObject({ code: CapacityErrorCode.InsufficientShares });
    await shares.execute({ type: 'IssueShares', plantId: 'hydro-1', holderId: 'h01', sharesW: 4_000n }, now);
    expect(await snapshotOf('hydro-1')).toEqual({ version: 3, issuedW: '10000', balances: { h00: '6000', h01: '4000' } });
    // No snapshot at all (a store rebuilt from the CAPACITY stream has none): the same.
    await dataSource.query(`DELETE FROM plant_snapshots WHERE stream_id = 'plant:hydro-1'`);
    await shares.execute({ type: 'RetireShares', plantId: 'hydro-1', holderId: 'h00', sharesW: 6_000n }, now);
    expect(await snapshotOf('hydro-1')).toEqual({ version: 4, issuedW: '4000', balances: { h01: '4000' } });
  });

  async function snapshotOf(plantId: string): Promise<{ version: number; issuedW: string; balances: Record<string, string> }> {
    const [head] = await dataSource.query(`SELECT stream_version, issued_w::text FROM plant_snapshots WHERE stream_id = $1`, [`plant:${plantId}`]);
    const rows: { holder_id: string; shares_w: string }[] = await dataSource.query(`SELECT holder_id, shares_w::text FROM plant_snapshot_balances WHERE stream_id = $1`, [`plant:${plantId}`]);
    return { version: head.stream_version, issuedW: head.issued_w, balances: Object.fromEntries(rows.map((row) => [row.holder_id, row.shares_w])) };
  }
});
