import { Wallet } from 'ethers';
import { DEFAULT_BATCH_LIMITS, parseRegisterCommand } from '@gridledger/metering';
import { ManualClock } from '@gridledger/testing';
import { IntakePipeline } from '../src/intake/intake.pipeline';
import { verifyJsonSubmission } from '../src/intake/json-submission';
import { MeterRegistryService } from '../src/registry/meter-registry.service';
import { createThrowawayDatabase, type ThrowawayDatabase } from './support/throwaway-database';
import { intervalJson, meterJson, signedBatch } from './support/fixtures';

const NOW = Date.parse('2026-04-02T10:00:00Z');
const mpo = Wallet.createRandom();

describe('intervals partitioned by day', () => {
  let db: ThrowawayDatabase;
  let pipeline: IntakePipeline;
  const partitionCounts = async (): Promise<Record<string, number>> => {
    const rows: { partition: string; n: number }[] = await db.dataSource.query(`SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM intervals GROUP BY 1 ORDER BY 1`);
    return Object.fromEntries(rows.map((row) => [row.partition.replace(/^.*\./, ''), row.n]));
  };
  const submit = async (intervals: Record<string, unknown>[]) => pipeline.submit(verifyJsonSubmission(Buffer.from(JSON.stringify(await signedBatch(mpo, { intervals }))), 'http', DEFAULT_BATCH_LIMITS));

  beforeAll(async () => {
    db = await createThrowawayDatabase();
    pipeline = new IntakePipeline(db.dataSource, new ManualClock(NOW));
    await new MeterRegistryService(db.dataSource, new ManualClock(NOW)).apply([parseRegisterCommand(meterJson('P1', mpo.address, Wallet.createRandom().address), 'meters[0]')], { kind: 'operator' });
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

  it('moves the rows of an unpartitioned table into daily partitions when migrating', async () => {
    await db.dataSource.undoLastMigration();
    expect(await partitionCounts()).toEqual({ intervals: 3 });
    await db.dataSource.runMigrations();
    expect(await partitionCounts()).toEqual({ intervals_d20260329: 1, intervals_d20260330: 1, intervals_d20260402: 1 });
    const [{ sum }] = await db.dataSource.query(`SELECT sum(energy_wh)::int AS sum FROM intervals`);
    expect(sum).toBe(18);
  });
});
