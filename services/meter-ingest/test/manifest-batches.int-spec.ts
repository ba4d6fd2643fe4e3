import { Wallet } from 'ethers';
import { groupPeriodManifest, valuesDigest, type Direction, type ManifestBatchValue } from '@gridledger/domain';
import { DEFAULT_BATCH_LIMITS, parseChangeCommand, parseRegisterCommand, type Requester } from '@gridledger/metering';
import { authEnvironment, bodySha256, signRequest } from '@gridledger/auth';
import { ManualClock } from '@gridledger/testing';
import { IntakePipeline, OPEN_POLICY } from '../src/intake/intake.pipeline';
import { ManifestSegments } from '../src/manifests/manifest-segments';
import { ListBatchesOfEarlierValues1796145500000 } from '../src/migrations/1796145500000-list-batches-of-earlier-values.migration';
import { verifyJsonSubmission } from '../src/intake/json-submission';
import { MeterRegistryService } from '../src/registry/meter-registry.service';
import { ManifestsRepository } from '../src/persistence/manifests.repository';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/throwaway-database';
import { intervalJson, meterJson, signedBatch, type TestSigner } from './support/fixtures';

const NOW = Date.parse('2026-03-30T00:00:00Z');
const P1 = '2026-03-29T10:00:00Z';
const P2 = '2026-03-29T10:15:00Z';
const P3 = '2026-03-29T10:30:00Z';
const mpoA = Wallet.createRandom();
const mpoB = Wallet.createRandom();
const dso = Wallet.createRandom().address;
const operator: Requester = { address: dso, mayManage: () => true, isDso: () => true };
const environment = authEnvironment(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');

/**
 * The batch level of the manifests is computed by intake from the values it holds
 * (manifest_batches), the MPO level and the total in SQL: every level must equal what the
 * domain function and the all-in-SQL computation give for the values stored.
 */
describe.each([
  { mode: 'in SQL', lines: false },
  { mode: "from the batches' lines kept in memory", lines: true },
])('manifest batch digests computed at intake, manifests $mode', ({ lines }) => {
  let db: ThrowawayDatabase;
  let pipeline: IntakePipeline;
  let registry: MeterRegistryService;
  const segments = lines ? new ManifestSegments() : undefined;
  const manifests = new ManifestsRepository(segments);
  const inSql = new ManifestsRepository();

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    pipeline = new IntakePipeline(db.dataSource, new ManualClock(NOW), true, OPEN_POLICY, segments);
    registry = new MeterRegistryService(db.dataSource, new ManualClock(NOW));
    // Ids that are prefixes of others and of both cases: the canonical order is bytewise.
    const meters = [
      meterJson('M-1', mpoA.address, dso, { groupId: 'BG-A' }),
      meterJson('M-10', mpoA.address, dso, { groupId: 'BG-A', direction: 'consumption' }),
      meterJson('m-2', mpoA.address, dso, { groupId: 'BG-A' }),
      meterJson('M-3', mpoA.address, dso, { groupId: 'BG-B' }),
      meterJson('M-30', mpoA.address, dso, { groupId: 'BG-B', direction: 'consumption' }),
      meterJson('H-1', mpoB.address, dso, { groupId: 'BG-A', direction: 'consumption' }),
      meterJson('H-2', mpoB.address, dso, { groupId: 'BG-A' }),
      meterJson('R-1', mpoA.address, dso, { groupId: 'BG-B' }),
    ];
    await registry.apply(meters.map((meter, i) => parseRegisterCommand(meter, `meters[${i}]`)), operator);
  });
  afterAll(() => db.drop());

  const submit = async (mpo: TestSigner, body: Record<string, unknown>) => {
    const raw = Buffer.from(JSON.stringify(signedBatch(mpo, body)));
    const headers = await signRequest(mpo, environment, { method: 'POST', path: '/readings', body: raw }, { nonce: bodySha256(raw) });
    const request = { method: 'POST', path: '/readings', nonce: bodySha256(raw), expiry: headers['x-gl-expiry'], chainId: '31337', verifyingContract: environment.verifyingContract };
    return (await pipeline.submit(verifyJsonSubmission(raw, 'http', DEFAULT_BATCH_LIMITS, { signer: mpo.address, bodySha256: bodySha256(raw), signature: headers['x-gl-signature'], request }))).answer;
  };

  /** Every stored value of a period with its batch, as the domain function takes them. */
  async function storedValues(periodId: string): Promise<(ManifestBatchValue & { groupId: string })[]> {
    const rows: { meter_id: string; direction: Direction; energy_wh: string; group_id: string; mpo: string; batch_id: string; format: string; signature: string; signed_request: { method: string; path: string; expiry: string; chainId: string; verifyingContract: string } }[] =
      await db.dataSource.query(`SELECT i.meter_id, i.direction, i.energy_wh::text, i.group_id, r.mpo, r.batch_id, r.format, r.signature, r.signed_request FROM intervals i JOIN raw_batches r ON r.seq = i.batch_seq WHERE i.period_start = $1`, [periodId]);
    return rows.map((row) => {
      const { method, path, expiry, chainId, verifyingContract } = row.signed_request;
      return { groupId: row.group_id, meterId: row.meter_id, direction: row.direction, energyWh: row.energy_wh, mpo: row.mpo, batchId: row.batch_id, format: row.format, signature: row.signature, request: { method, path, expiry, chainId, verifyingContract } };
    });
  }

  /** computeMany as the manifest loop runs it, against the domain function and against computing every level in SQL. */
  async function expectManifestsOfStoredValues(periodId: string, groups: readonly string[]) {
    const values = await storedValues(periodId);
    const computed = await manifests.computeMany(db.dataSource.manager, groups, new Date(periodId));
    for (const groupId of groups) expect({ groupId, ...computed.get(groupId) }).toEqual({ groupId, ...groupPeriodManifest(values.filter((value) => value.groupId === groupId)) });
    expect(await inSql.computeMany(db.dataSource.manager, groups, new Date(periodId))).toEqual(computed);
    // The same with every batch row unknown (as after a correction): all levels in SQL.
    const runner = db.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      await runner.query(`UPDATE manifest_batches SET value_count = NULL, digest = NULL`);
      expect(await manifests.computeMany(runner.manager, groups, new Date(periodId))).toEqual(computed);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
    return computed;
  }

  it('stores per batch, group and period the count and digest of exactly the values it stored, as SQL and the domain function compute them', async () => {
    // One batch over two groups and two periods, MPO A.
    await submit(mpoA, {
      intervals: [
        intervalJson('M-10', P1, '10'), intervalJson('M-1', P1, '1'), intervalJson('m-2', P1, '2'), intervalJson('M-3', P1, '3'), intervalJson('M-30', P1, '30'),
        intervalJson('M-1', P2, '11'), intervalJson('M-30', P2, '31'),
      ],
    });
    // MPO B into the same group-period (a group of two MPOs).
    await submit(mpoB, { intervals: [intervalJson('H-2', P1, '200'), intervalJson('H-1', P1, '100')] });
    // A later batch of A: a duplicate (not stored again), a conflict (refused), a new value.
    const mixed = await submit(mpoA, { batchRef: 'mixed', intervals: [intervalJson('M-1', P1, '1'), intervalJson('m-2', P1, '999'), intervalJson('M-10', P2, '12')] });
    expect(mixed).toMatchObject({ accepted: 1, duplicates: 1, rejected: 1 });
    // Register readings become interval values too.
    const register = await submit(mpoA, { readings: [{ meterId: 'R-1', readAt: '2026-03-29T10:00:00Z', registerWh: '1000' }, { meterId: 'R-1', readAt: '2026-03-29T10:30:00Z', registerWh: '1300' }] });
    expect(register.accepted).toBeGreaterThan(0);

    const rows: { period_start: Date; group_id: string; batch_id: string; value_count: number; digest: string; sql_count: number; sql_digest: string }[] = await db.dataSource.query(
      `SELECT m.period_start, m.group_id, r.batch_id, m.value_count, m.digest, count(i.*)::int AS sql_count,
              encode(sha256(convert_to(coalesce(string_agg(i.meter_id || '|' || i.direction || '|' || i.energy_wh::text || E'\\n', '' ORDER BY i.meter_id COLLATE "C", i.direction COLLATE "C"), ''), 'UTF8')), 'hex') AS sql_digest
         FROM manifest_batches m JOIN raw_batches r ON r.seq = m.batch_seq
         LEFT JOIN intervals i ON i.period_start = m.period_start AND i.group_id = m.group_id AND i.batch_seq = m.batch_seq
        GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3`,
    );
    // Every (batch, group, period) with stored values has its row, and no other.
    const [{ triples }] = await db.dataSource.query(`SELECT count(*)::int AS triples FROM (SELECT DISTINCT period_start, group_id, batch_seq FROM intervals) t`);
    expect(rows).toHaveLength(triples);
    expect(rows.length).toBeGreaterThanOrEqual(7);
    for (const row of rows) expect({ count: row.value_count, digest: row.digest }).toEqual({ count: row.sql_count, digest: row.sql_digest });
    // And the domain function over the same values.
    for (const row of rows) {
      const own = (await storedValues(row.period_start.toISOString())).filter((value) => value.batchId === row.batch_id && value.groupId === row.group_id);
      expect({ count: row.value_count, digest: `0x${row.digest}` }).toEqual(valuesDigest(own));
    }
    const p1 = await expectManifestsOfStoredValues(P1, ['BG-A', 'BG-B']);
    expect(p1.get('BG-A')!.perMpo.map((mpo) => mpo.mpo).sort()).toEqual([mpoA.address, mpoB.address].sort());
    const p2 = await expectManifestsOfStoredValues(P2, ['BG-A', 'BG-B']);
    expect(p2.get('BG-A')!.perMpo.map((mpo) => mpo.batches.length)).toEqual([2]);
  });

  /**
   * Whether computeMany reads the stored values: with every stored energy changed inside a
   * rolled-back transaction, a manifest digested from the values changes, one digested from
   * the batches' lines does not.
   */
  async function readsValues(periodId: string, groups: readonly string[]): Promise<boolean> {
    const before = await manifests.computeMany(db.dataSource.manager, groups, new Date(periodId));
    const runner = db.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      await runner.query(`UPDATE intervals SET energy_wh = energy_wh + 1 WHERE period_start = $1`, [periodId]);
      const after = await manifests.computeMany(runner.manager, groups, new Date(periodId));
      return groups.every((groupId) => after.get(groupId)!.digest !== before.get(groupId)!.digest);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it(lines ? "digests the groups whose batches' meter ranges follow each other from the kept lines, without reading the values" : 'digests every group from the values', async () => {
    // P1: BG-A holds a batch of MPO A and one of MPO B, BG-B a batch and the register values; P2 two batches of A in BG-A.
    expect(await readsValues(P1, ['BG-A', 'BG-B'])).toBe(!lines);
    expect(await readsValues(P2, ['BG-A'])).toBe(!lines);
  });

  it('digests from the values a group whose batches interleave their meters, and matches the stored values', async () => {
    // 'M-1' < 'M-10' < 'm-2': the second batch's meter falls inside the first one's range.
    await submit(mpoA, { intervals: [intervalJson('M-1', P3, '5'), intervalJson('m-2', P3, '6')] });
    await submit(mpoA, { intervals: [intervalJson('M-10', P3, '7')] });
    expect(await readsValues(P3, ['BG-A'])).toBe(true);
    expect((await expectManifestsOfStoredValues(P3, ['BG-A'])).get('BG-A')!.count).toBe(3);
  });

  it('after a correction moves values between groups, computes those batches in SQL and still matches the stored values', async () => {
    const command = parseChangeCommand('M-10', { effectiveFrom: '2026-03-29T10:00:00Z', groupId: 'BG-B', correction: true });
    await registry.apply([command], operator);
    const stale: { group_id: string }[] = await db.dataSource.query(`SELECT DISTINCT group_id FROM manifest_batches WHERE digest IS NULL ORDER BY 1`);
    expect(stale.map((row) => row.group_id)).toEqual(['BG-A', 'BG-B']);
    const p1 = await expectManifestsOfStoredValues(P1, ['BG-A', 'BG-B']);
    expect(p1.get('BG-B')!.count).toBe(4);
    await expectManifestsOfStoredValues(P2, ['BG-A', 'BG-B']);
  });

  it('computes values stored before manifest_batches existed (no row) in SQL', async () => {
    await db.dataSource.query(`DELETE FROM manifest_batches WHERE group_id = 'BG-A'`);
    await expectManifestsOfStoredValues(P1, ['BG-A', 'BG-B']);
    // The migration lists those batches again, as unknown: still computed from the values.
    await new ListBatchesOfEarlierValues1796145500000().up(db.dataSource.createQueryRunner());
    const [{ unlisted }] = await db.dataSource.query(
      `SELECT count(*)::int AS unlisted FROM (SELECT DISTINCT period_start, group_id, batch_seq FROM intervals) i
        WHERE NOT EXISTS (SELECT 1 FROM manifest_batches m WHERE (m.period_start, m.group_id, m.batch_seq) = (i.period_start, i.group_id, i.batch_seq))`,
    );
    expect(unlisted).toBe(0);
    expect(await readsValues(P1, ['BG-A'])).toBe(true);
    await expectManifestsOfStoredValues(P1, ['BG-A', 'BG-B']);
  });
});
