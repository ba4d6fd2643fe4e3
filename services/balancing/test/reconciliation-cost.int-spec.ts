import type { DataSource } from 'typeorm';
import { valuesDigest, type ManifestValue } from '@gridledger/domain';
import { MESSAGING_ENTITIES, openDataSource } from '@gridledger/persistence';
import { createTestDatabase } from '@gridledger/testing';
import { MIGRATIONS, SCHEMA } from '../src/migrations';
import { lockGroupPeriods, type GroupPeriodKey } from '../src/persistence/group-periods.repository';
import { IngestManifestsRepository } from '../src/persistence/ingest-manifests.repository';
import { recordMeterValues } from '../src/persistence/meter-values.repository';
import { ReconciliationRepository } from '../src/persistence/reconciliation.repository';
import type { Sql } from '../src/persistence/sql';

const PERIOD = '2026-03-29T10:00:00Z';
const NOW = new Date('2026-03-29T11:00:00Z');
const RANGE = ['2026-03-29T00:00:00Z', '2026-03-30T00:00:00Z'] as const;
const MATCHING = 400;

/** The Sql the repository is given, with every statement it ran (the real database answers). */
function countingSql(dataSource: DataSource): Sql & { statements: { text: string; params: unknown[] }[] } {
  const statements: { text: string; params: unknown[] }[] = [];
  return {
    statements,
    query: (text: string, params?: unknown[]) => {
      statements.push({ text, params: params ?? [] });
      return dataSource.query(text, params);
    },
  } as Sql & { statements: { text: string; params: unknown[] }[] };
}

const digestStatements = (sql: ReturnType<typeof countingSql>) => sql.statements.filter((statement) => statement.text.includes('sha256'));
const valuesOf = (groupId: string, wh: bigint): (ManifestValue & { energyWh: bigint })[] => [
  { meterId: `${groupId}-M1`, direction: 'consumption', energyWh: wh },
  { meterId: `${groupId}-M2`, direction: 'production', energyWh: wh + 1n },
];

describe('reconciler: balancing side of a pass at scale', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const manifests = new IngestManifestsRepository();
  const keyOf = (groupId: string): GroupPeriodKey => ({ groupId, periodId: PERIOD });

  const record = (groupId: string, values: readonly (ManifestValue & { energyWh: bigint })[], source: string) =>
    dataSource.transaction(async (em) => {
      await lockGroupPeriods(em, [keyOf(groupId)], 'PT15M', 3_600_000);
      await recordMeterValues(em, keyOf(groupId), values.map((value) => ({ ...value, substituted: false as const })), source);
    });

  /** What the reconciler found before: one `received` per candidate, compared with its manifest. */
  const oneByOne = async (groupIds: readonly string[]) =>
    Promise.all(groupIds.map(async (groupId) => ({ periodId: PERIOD, groupId, received: await manifests.received(dataSource, keyOf(groupId)) })));

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await openDataSource({ url: database.url, schema: SCHEMA, entities: MESSAGING_ENTITIES, migrations: MIGRATIONS });
    const groups = Array.from({ length: MATCHING }, (_, i) => `BG-${String(i).padStart(3, '0')}`);
    for (const groupId of groups) await record(groupId, valuesOf(groupId, 10n), `e-${groupId}`);
    // Short of one value (a lost measured event), one value different (a lost correction), nothing received at all.
    await record('LAG-SHORT', valuesOf('LAG-SHORT', 10n).slice(0, 1), 'e-short');
    await record('LAG-VALUE', valuesOf('LAG-VALUE', 11n), 'e-value');
    await dataSource.transaction((em) => lockGroupPeriods(em, [keyOf('LAG-NONE')], 'PT15M', 3_600_000));
    for (const groupId of [...groups, 'LAG-SHORT', 'LAG-VALUE', 'LAG-NONE']) {
      await manifests.record(dataSource, keyOf(groupId), { revision: 1, ...valuesDigest(valuesOf(groupId, 10n)) }, {}, NOW);
    }
  }, 120_000);
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  it('computes digests for every candidate once, in bounded queries, then only for group-periods whose values changed, with the same answer as one query each', async () => {
    const repository = new ReconciliationRepository();
    const pass = async () => {
      const sql = countingSql(dataSource);
      const awaiting = await repository.awaiting(sql, RANGE[0], RANGE[1], NOW);
      const lagging = awaiting.map((side) => ({ periodId: side.periodId, groupId: side.groupId, received: side.received })).sort((a, b) => a.groupId.localeCompare(b.groupId));
      return { sql, lagging };
    };

    // First pass (nothing remembered): 403 candidates' digests in ceil(403 / 200) queries, plus the two listing queries.
    const first = await pass();
    expect(first.lagging).toEqual(await oneByOne(['LAG-NONE', 'LAG-SHORT', 'LAG-VALUE']));
    expect(first.sql.statements).toHaveLength(2 + 3);
    expect(digestStatements(first.sql)).toHaveLength(3);

    // Nothing changed: two queries, no digest work, the same answer.
    const second = await pass();
    expect(second.lagging).toEqual(first.lagging);
    expect(second.sql.statements).toHaveLength(2);
    expect(digestStatements(second.sql)).toHaveLength(0);

    // One group-period's value changes (it now differs from its manifest) and a lagging one gets its missing value:
    // only those two are digested again.
    await record('BG-007', [{ meterId: 'BG-007-M1', direction: 'consumption', energyWh: 99n }], 'e-late');
    await record('LAG-SHORT', valuesOf('LAG-SHORT', 10n), 'e-resent');
    const third = await pass();
    expect(third.lagging).toEqual(await oneByOne(['BG-007', 'LAG-NONE', 'LAG-VALUE']));
    expect(third.sql.statements).toHaveLength(3);
    const [digested] = digestStatements(third.sql);
    expect((digested.params[0] as string[]).sort()).toEqual(['BG-007', 'LAG-SHORT']);
  });
});
