import { Wallet, type HDNodeWallet } from 'ethers';
import { MARKET, bodySha256 } from '@gridledger/auth';
import { deployRoleChain, type RoleChain } from '@gridledger/contracts';
import { formatInstant } from '@gridledger/domain';
import {
  anvilDevKey,
  createTestDatabase,
  deleteNamespaceStreams,
  expectProblem,
  randomNamespace,
  signedFetch,
  startAnvil,
  waitFor,
  type AnvilInstance,
  type SpawnedService,
  type TestDatabase,
} from '@gridledger/testing';
import { spawnBalancing, spawnMeterIngest } from './services';

// Issue 11's last bound: a registry change reaching back into settled periods (values meter-ingest
// accepted and published) is refused unless the meter's DSO makes it as a correction; then the
// values it covers leave the old group and arrive in the new one, and balancing settles a
// correction in both (no kWh in two groups, none in none).

jest.setTimeout(240_000);

const A = 'BG-RB-A';
const B = 'BG-RB-B';
const GRID_AREA = 'GA-RB';
const operator = Wallet.createRandom();
const dso = Wallet.createRandom();
const mpo = Wallet.createRandom();
const QH = 900_000;
// Two quarter hours that ended a while ago (the gate deadline is 1 ms: they settle at once).
const P1 = formatInstant(Math.floor((Date.now() - 3 * 3_600_000) / QH) * QH);
const P2 = formatInstant(Date.parse(P1) + QH);
const VALID_FROM = formatInstant(Math.floor((Date.now() - 27 * 3_600_000) / QH) * QH);

interface VersionRow {
  group_id: string;
  period_id: string;
  version: number;
  trigger: string;
  feed_out_wh: string;
}

describe('a DSO correction moving a meter between groups over settled periods', () => {
  const namespace = randomNamespace();
  let ingestDb: TestDatabase;
  let balancingDb: TestDatabase;
  let meterIngest: SpawnedService;
  let balancing: SpawnedService;
  let anvil: AnvilInstance;
  let chain: RoleChain;

  beforeAll(async () => {
    anvil = await startAnvil();
    chain = await deployRoleChain(anvil.url, anvilDevKey(0));
    await chain.grant('MARKET_OPERATOR', MARKET, operator.address);
    await chain.grant('DSO', GRID_AREA, dso.address);
    await chain.grant('MPO', A, mpo.address);
    await chain.grant('MPO', B, mpo.address);
    [ingestDb, balancingDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    meterIngest = await spawnMeterIngest(ingestDb.url, namespace, chain);
    balancing = await spawnBalancing(balancingDb.url, namespace, chain);
  });

  afterAll(async () => {
    await balancing?.kill();
    await meterIngest?.kill();
    await deleteNamespaceStreams(namespace);
    await Promise.all([ingestDb?.drop(), balancingDb?.drop()]);
    chain?.close();
    await anvil?.stop();
  });

  it('refuses the change without the flag or by the market operator, then re-books the values into the new group when the DSO corrects', async () => {
    const meters = [
      ['HH-MOVE', A],
      ['HH-STAY', A],
      ['HH-B', B],
    ].map(([meterId, groupId]) => ({ meterId, direction: 'consumption', mpo: mpo.address, dso: dso.address, gridArea: GRID_AREA, groupId, supplier: null, connectionLimitW: '100000', validFrom: VALID_FROM }));
    expect((await signedFetch(meterIngest.url, dso, chain.environment, { method: 'POST', path: '/meters', body: { meters } })).status).toBe(201);
    for (const period of [P1, P2]) await submit(period, [['HH-MOVE', '300'], ['HH-STAY', '100'], ['HH-B', '50']]);

    const settled = await latestVersions((rows) => rows.length === 4);
    expect(settled).toEqual([
      { group_id: A, period_id: P1, version: 1, trigger: expect.any(String), feed_out_wh: '400' },
      { group_id: A, period_id: P2, version: 1, trigger: expect.any(String), feed_out_wh: '400' },
      { group_id: B, period_id: P1, version: 1, trigger: expect.any(String), feed_out_wh: '50' },
      { group_id: B, period_id: P2, version: 1, trigger: expect.any(String), feed_out_wh: '50' },
    ]);

    // Reaching back over accepted values: refused without the flag (naming effectiveFrom), by the
    // market operator even with it, and a retirement over them always. Nothing changes.
    const change = { effectiveFrom: P1, groupId: B };
    await expectProblem(await patch(dso, change), { status: 409, code: 'SETTLED_PERIODS', field: 'effectiveFrom' });
    await expectProblem(await patch(operator, { ...change, correction: true }), { status: 403, code: 'CORRECTION_NOT_PERMITTED', field: 'correction' });
    await expectProblem(await signedFetch(meterIngest.url, dso, chain.environment, { method: 'DELETE', path: '/meters/HH-MOVE', body: { effectiveAt: P2 } }), { status: 409, code: 'SETTLED_PERIODS', field: 'effectiveAt' });
    expect(await ingestGroups()).toEqual([
      { group_id: A, n: 4 },
      { group_id: B, n: 2 },
    ]);
    expect(await query(ingestDb, `SELECT count(*)::int AS n FROM meter_ingest.registry_events WHERE meter_id = 'HH-MOVE'`)).toEqual([{ n: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await latestVersions(() => true)).toEqual(settled);

    // The DSO's correction: both periods' 300 Wh leave A and arrive in B.
    const corrected = await patch(dso, { ...change, correction: true });
    expect(corrected.status).toBe(200);
    expect(await ingestGroups()).toEqual([
      { group_id: A, n: 2 },
      { group_id: B, n: 4 },
    ]);
    const after = await latestVersions((rows) => rows.every((row) => row.version === 2));
    expect(after).toEqual([
      { group_id: A, period_id: P1, version: 2, trigger: 'correction', feed_out_wh: '100' },
      { group_id: A, period_id: P2, version: 2, trigger: 'correction', feed_out_wh: '100' },
      { group_id: B, period_id: P1, version: 2, trigger: 'correction', feed_out_wh: '350' },
      { group_id: B, period_id: P2, version: 2, trigger: 'correction', feed_out_wh: '350' },
    ]);
    // The sum over groups per period is unchanged.
    const total = (rows: VersionRow[], period: string) => rows.filter((row) => row.period_id === period).reduce((sum, row) => sum + BigInt(row.feed_out_wh), 0n);
    for (const period of [P1, P2]) expect(total(after, period)).toBe(total(settled, period));
    // meter-ingest's manifests say the same: A without the meter, B with it (revision 2 each).
    const manifests = await waitFor(async () => {
      const rows = await query<{ group_id: string; period_start: Date; revision: number; value_count: number }>(ingestDb, `SELECT group_id, period_start, revision, value_count FROM meter_ingest.group_period_manifests ORDER BY group_id, period_start`);
      return rows.every((row) => row.revision === 2) ? rows : null;
    });
    expect(manifests.map((row) => [row.group_id, row.value_count])).toEqual([
      [A, 1],
      [A, 1],
      [B, 2],
      [B, 2],
    ]);
    // Balancing's current values: the meter in B only, never in both, never in none.
    const current = await query<{ group_id: string; period_id: string }>(balancingDb, `SELECT group_id, period_id FROM balancing.meter_values WHERE meter_id = 'HH-MOVE' AND replaced_seq IS NULL ORDER BY period_id`);
    expect(current).toEqual([
      { group_id: B, period_id: P1 },
      { group_id: B, period_id: P2 },
    ]);
  });

  function patch(signer: Wallet | HDNodeWallet, body: Record<string, unknown>): Promise<Response> {
    return signedFetch(meterIngest.url, signer, chain.environment, { method: 'PATCH', path: '/meters/HH-MOVE', body });
  }

  async function submit(periodId: string, values: [string, string][]): Promise<void> {
    const body = Buffer.from(JSON.stringify({ mpo: mpo.address, intervals: values.map(([meterId, energyWh]) => ({ meterId, periodId, energyWh })) }));
    const answer = (await (await signedFetch(meterIngest.url, mpo, chain.environment, { method: 'POST', path: '/readings', body, nonce: bodySha256(body) })).json()) as { status: string };
    expect(answer.status).toBe('accepted');
  }

  function ingestGroups(): Promise<{ group_id: string; n: number }[]> {
    return query(ingestDb, `SELECT group_id, count(*)::int AS n FROM meter_ingest.intervals GROUP BY group_id ORDER BY group_id`);
  }

  /** Each group-period's latest version, once `ready` holds for them. */
  function latestVersions(ready: (rows: VersionRow[]) => boolean): Promise<VersionRow[]> {
    return waitFor(
      async () => {
        const rows = await query<VersionRow>(
          balancingDb,
          `SELECT DISTINCT ON (group_id, period_id) group_id, period_id, version, trigger, feed_out_wh FROM balancing.period_versions ORDER BY group_id, period_id, version DESC`,
        );
        return rows.length > 0 && ready(rows) ? rows : null;
      },
      { timeoutMs: 90_000 },
    );
  }
});

function query<T>(db: TestDatabase, sql: string, params: unknown[] = []): Promise<T[]> {
  return db.query<T>(sql, params);
}
