import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `intervals` partitioned by UTC day of `period_start` (docs/partitions.md): the day's
 * partition takes the day's inserts and its index stays the size of a day, however many
 * days are kept; a day past the correction window is detached, archived and dropped whole
 * instead of deleted row by row. The key leads with `period_start`: a batch (one period,
 * thousands of meters) then inserts into one narrow range of the index instead of touching
 * a leaf page per meter. `intervals_default` takes values of a day without a partition yet.
 * Existing rows move into daily partitions here (a one-off copy; on a large installation,
 * run it in a maintenance window).
 */
export class PartitionIntervalsByDay1796145000000 implements MigrationInterface {
  name = 'PartitionIntervalsByDay1796145000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "intervals" RENAME TO "intervals_unpartitioned"`);
    await queryRunner.query(`
      CREATE TABLE "intervals" (
        "meter_id" text COLLATE "C" NOT NULL,
        "period_start" timestamptz NOT NULL,
        "period_minutes" smallint NOT NULL,
        "energy_wh" bigint NOT NULL CHECK ("energy_wh" >= 0),
        "quality" text NOT NULL,
        "group_id" text NOT NULL,
        "direction" text NOT NULL,
        "batch_seq" bigint NOT NULL,
        CONSTRAINT "intervals_by_day_pkey" PRIMARY KEY ("period_start", "meter_id")
      ) PARTITION BY RANGE ("period_start")`);
    await queryRunner.query(`CREATE TABLE "intervals_default" PARTITION OF "intervals" DEFAULT`);
    const days: { day: string; name: string }[] = await queryRunner.query(
      `SELECT DISTINCT to_char(date_trunc('day', period_start AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
              'intervals_d' || to_char(date_trunc('day', period_start AT TIME ZONE 'UTC'), 'YYYYMMDD') AS name
         FROM "intervals_unpartitioned"`,
    );
    for (const { day, name } of days) {
      await queryRunner.query(`CREATE TABLE "${name}" PARTITION OF "intervals" FOR VALUES FROM ('${day}T00:00:00Z') TO (('${day}T00:00:00Z'::timestamptz + interval '1 day'))`);
    }
    await queryRunner.query(`INSERT INTO "intervals" SELECT * FROM "intervals_unpartitioned"`);
    await queryRunner.query(`DROP TABLE "intervals_unpartitioned"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "intervals" RENAME TO "intervals_partitioned"`);
    await queryRunner.query(`
      CREATE TABLE "intervals" (
        "meter_id" text COLLATE "C" NOT NULL,
        "period_start" timestamptz NOT NULL,
        "period_minutes" smallint NOT NULL,
        "energy_wh" bigint NOT NULL CHECK ("energy_wh" >= 0),
        "quality" text NOT NULL,
        "group_id" text NOT NULL,
        "direction" text NOT NULL,
        "batch_seq" bigint NOT NULL,
        PRIMARY KEY ("meter_id", "period_start")
      )`);
    await queryRunner.query(`INSERT INTO "intervals" SELECT * FROM "intervals_partitioned"`);
    await queryRunner.query(`DROP TABLE "intervals_partitioned"`);
  }
}
