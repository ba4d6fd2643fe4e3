import { Wallet } from 'ethers';
import { authEnvironment, bodySha256, signRequest } from '@gridledger/auth';
import { DEFAULT_BATCH_LIMITS, parseRegisterCommand, type Requester } from '@gridledger/metering';
import { ManualClock } from '@gridledger/testing';
import { IntakePipeline } from '../src/intake/intake.pipeline';
import { verifyJsonSubmission } from '../src/intake/json-submission';
import { MeterRegistryService } from '../src/registry/meter-registry.service';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/throwaway-database';
import { intervalJson, meterJson, signedBatch } from './support/fixtures';
import { MIGRATIONS, SCHEMA } from '../src/migrations';
import { beginBatch } from '../src/intake/interval-store';
import { Client, type PoolClient } from 'pg';
import { PartitionIntervalsByDay1796145000000 } from '../src/migrations/1796145000000-partition-intervals-by-day.migration';

const NOW = Date.parse('2026-04-02T10:00:00Z');
const mpo = Wallet.createRandom();
const operator: Requester = { address: Wallet.createRandom().address, mayManage: () => true };
const environment = authEnvironment(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');

/** A batch as the signed-request check hands it to the pipeline (nonce = body digest). */
async function verifiedBatch(intervals: Record<string, unknown>[]) {
  const raw = Buffer.from(JSON.stringify(signedBatch(mpo, { intervals })));
  const digest = bodySha256(raw);
  const headers = await signRequest(mpo, environment, { method: 'POST', path: '/readings', body: raw }, { nonce: digest });
  const request = { method: 'POST', path: '/readings', nonce: digest, expiry: headers['x-gl-expiry'], chainId: '31337', verifyingContract: environment.verifyingContract };
  return verifyJsonSubmission(raw, 'http', DEFAULT_BATCH_LIMITS, { signer: mpo.address, bodySha256: digest, signature: headers['x-gl-signature'], request });
}

describe('intervals partitioned by day', () => {
  let db: ThrowawayDatabase;
  let pipeline: IntakePipeline;
  const partitionCounts = async (): Promise<Record<string, number>> => {
    const rows: { partition: string; n: number }[] = await db.dataSource.query(`SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM intervals GROUP BY 1 ORDER BY 1`);
    return Object.fromEntries(rows.map((row) => [row.partition.replace(/^.*\./, ''), row.n]));
  };
  const submit = async (intervals: Record<string, unknown>[]) => pipeline.submit(await verifiedBatch(intervals));

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    pipeline = new IntakePipeline(db.dataSource, new ManualClock(NOW));
    await new MeterRegistryService(db.dataSource, new ManualClock(NOW)).apply([parseRegisterCommand(meterJson('P1', mpo.address, operator.address), 'meters[0]')], operator);
  });
  afterAll(() => db.drop());

  it('creates the partitions of the days ahead, and of any day a batch names, before it stores', async () => {
    await pipeline.partitionsAhead(2);
    const ahead: { name: string }[] = await db.dataSource.query(`SELECT relname AS name FROM pg_class WHERE relname ~ '^intervals_d[0-9]+$' ORDER BY 1`);
    expect(ahead.map((row) => row.name)).toEqual(['intervals_d20260402', 'intervals_d20260403', 'intervals_d20260404']);
    const { answer } = await submit([intervalJson('P1', '2026-03-29T23:45:00Z', '5'), intervalJson('P1', '2026-03-30T00:00:00Z', '6'), intervalJson('P1', '2026-04-02T00:00:00Z', '7')]);
    expect(answer).toMatchObject({ accepted: 3, rejected: 0 });
    expect(await partitionCounts()).toEqual({ intervals_d20260329: 1, intervals_d20260330: 1, intervals_d20260402: 1 });
    // A re-sent value for a stored day is still a no-op, across the partition's key.
    expect((await submit([intervalJson('P1', '2026-03-30T00:00:00Z', '6')])).answer).toMatchObject({ accepted: 0, duplicates: 1 });
  });

  it('copies a batch of one day straight into its partition while attached, and through the parent once it has left', async () => {
    const connect = async () => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      await client.query(`SET search_path TO ${SCHEMA}`);
      return client as unknown as PoolClient & Client;
    };
    const batchId = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
    const [first, second, detacher] = [await connect(), await connect(), await connect()];
    try {
      expect((await beginBatch(first, batchId(1), 'intervals_d20260401')).copyTarget).toBe('intervals');
      await first.query('ROLLBACK');
      expect((await submit([intervalJson('P1', '2026-04-01T08:00:00Z', '8')])).answer).toMatchObject({ accepted: 1 });
      expect((await partitionCounts()).intervals_d20260401).toBe(1);
      expect((await beginBatch(first, batchId(2), 'intervals_d20260401')).copyTarget).toBe('intervals_d20260401');
      // A detach waits for the batch holding the parent (a default partition rules out
      // CONCURRENTLY, so it is the plain one, docs/partitions.md)…
      let detached = false;
      const detach = detacher.query(`ALTER TABLE intervals DETACH PARTITION intervals_d20260401`).then(() => (detached = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(detached).toBe(false);
      await first.query('ROLLBACK');
      await detach;
      // …and a batch begun after it goes through the parent.
      expect((await beginBatch(second, batchId(3), 'intervals_d20260401')).copyTarget).toBe('intervals');
      await second.query('ROLLBACK');
    } finally {
      await Promise.all([first, second, detacher].map((client) => client.end()));
    }
    // The pipeline still knows the day (no partition is made again); a value of it now goes
    // to the default partition through the parent, never into the detached table.
    expect((await submit([intervalJson('P1', '2026-04-01T09:00:00Z', '9')])).answer).toMatchObject({ accepted: 1 });
    expect(await partitionCounts()).toMatchObject({ intervals_default: 1 });
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM intervals_d20260401`)).toEqual([{ n: 1 }]);
    // Both values gone and the partition attached again, for the migration test below.
    await db.dataSource.query(`DELETE FROM intervals_default`);
    await db.dataSource.query(`DELETE FROM intervals_d20260401`);
    await db.dataSource.query(`ALTER TABLE intervals ATTACH PARTITION intervals_d20260401 FOR VALUES FROM ('2026-04-01T00:00:00Z') TO ('2026-04-02T00:00:00Z')`);
  });

  it('moves the rows of an unpartitioned table into daily partitions when migrating', async () => {
    // Undo the migrations after the partitioning (down from the last), then the partitioning itself.
    const partitioning = MIGRATIONS.indexOf(PartitionIntervalsByDay1796145000000);
    for (let undo = MIGRATIONS.length - partitioning; undo > 0; undo -= 1) await db.dataSource.undoLastMigration();
    expect(await partitionCounts()).toEqual({ intervals: 3 });
    await db.dataSource.runMigrations();
    expect(await partitionCounts()).toEqual({ intervals_d20260329: 1, intervals_d20260330: 1, intervals_d20260402: 1 });
    const [{ sum }] = await db.dataSource.query(`SELECT sum(energy_wh)::int AS sum FROM intervals`);
    expect(sum).toBe(18);
  });
});
