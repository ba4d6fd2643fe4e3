import type { DataSource } from 'typeorm';
import { MeterPointsChanged } from '@gridledger/events';
import { MESSAGING_ENTITIES, openDataSource } from '@gridledger/persistence';
import { createTestDatabase } from '@gridledger/testing';
import { applyMeterPoints } from '../src/ingest/meter-points.handler';
import { MIGRATIONS, SCHEMA } from '../src/migrations';
import { lockGroupPeriods } from '../src/persistence/group-periods.repository';
import { loadMeterRows, recordMeterValues, versionValues } from '../src/persistence/meter-values.repository';

// A DSO correction's MeterPointsChanged moves a meter's values between groups (docs/trust.md):
// out of the old group-period (a withdrawal row raises its watermark), into the new one.
describe('re-booking values on a registry change reaching back', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const P = '2026-03-29T10:00:00Z';
  const A = { groupId: 'BG-A', periodId: P };
  const B = { groupId: 'BG-B', periodId: P };
  const current = async (key: typeof A) =>
    ((await dataSource.query(`SELECT meter_id, energy_wh FROM meter_values WHERE group_id = $1 AND period_id = $2 AND replaced_seq IS NULL ORDER BY meter_id`, [key.groupId, key.periodId])) as { meter_id: string; energy_wh: string }[]).map((row) => [row.meter_id, row.energy_wh]);

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openDataSource({ url: database.url, schema: SCHEMA, entities: MESSAGING_ENTITIES, migrations: MIGRATIONS });
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('withdraws the value from the old group, records it in the new one, and a re-sent original does not bring it back', async () => {
    await dataSource.transaction(async (em) => {
      await lockGroupPeriods(em, [A, B], 'PT15M', 1);
      await recordMeterValues(em, A, [{ meterId: 'HH-MOVE', direction: 'consumption', energyWh: 300n }, { meterId: 'HH-STAY', direction: 'consumption', energyWh: 100n }], 'e1');
      await recordMeterValues(em, B, [{ meterId: 'HH-B', direction: 'consumption', energyWh: 50n }], 'e2');
    });
    const before = (await loadMeterRows(dataSource, A, new Date(P))).watermark;
    const change = { envelope: { id: 'points-1', type: MeterPointsChanged.type, data: { points: [{ meterId: 'HH-MOVE', direction: 'consumption', groupId: 'BG-B', validFrom: '2026-03-29T09:00:00.000Z', validTo: null }] } } };
    await dataSource.transaction((em) => applyMeterPoints(em, [change as never], 1));

    expect(await current(A)).toEqual([['HH-STAY', '100']]);
    expect(await current(B)).toEqual([['HH-B', '50'], ['HH-MOVE', '300']]);
    // The settled version's values read back as they were; the next one leaves the meter out.
    const after = (await loadMeterRows(dataSource, A, new Date(P))).watermark;
    expect(after).toBeGreaterThan(before);
    expect((await versionValues(dataSource, A, before)).map((v) => v.meterId).sort()).toEqual(['HH-MOVE', 'HH-STAY']);
    expect((await versionValues(dataSource, A, after)).map((v) => v.meterId)).toEqual(['HH-STAY']);

    // The batch's original measured event for the old group, re-sent: the value stays in B only.
    expect(await dataSource.transaction((em) => recordMeterValues(em, A, [{ meterId: 'HH-MOVE', direction: 'consumption', energyWh: 300n }], 'e1'))).toBe(0);
    expect(await current(A)).toEqual([['HH-STAY', '100']]);
    // Both group-periods wait for a check (open) or a correction (settled).
    const flags = (await dataSource.query(`SELECT group_id, needs_check OR dirty AS woken FROM group_periods WHERE period_id = $1 ORDER BY group_id`, [P])) as { group_id: string; woken: boolean }[];
    expect(flags).toEqual([
      { group_id: 'BG-A', woken: true },
      { group_id: 'BG-B', woken: true },
    ]);
  });
});
