import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `meter_values` partitioned by UTC day of `period_id` (docs/partitions.md): period ids are
 * canonical instants (`2026-03-29T00:00:00Z`), so their text order is time order and a day is
 * the range [`…T00:00:00Z`, next day's). The key becomes (period_id, seq) (a partitioned
 * table's keys include the partition key); seq stays unique by its sequence. Partitions are
 * created ahead by the settlement worker; `meter_values_default` takes a day without one.
 * Existing rows move into daily partitions here (a one-off copy).
 */
export class PartitionMeterValuesByDay1796145600000 implements MigrationInterface {
  name = 'PartitionMeterValuesByDay1796145600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE meter_values RENAME TO meter_values_unpartitioned`);
    await queryRunner.query(`ALTER INDEX meter_values_current RENAME TO meter_values_unpartitioned_current`);
    await queryRunner.query(`ALTER INDEX meter_values_history RENAME TO meter_values_unpartitioned_history`);
    await queryRunner.query(`
      CREATE TABLE meter_values (
        seq bigint NOT NULL,
        group_id text NOT NULL,
        period_id text NOT NULL,
        meter_id text NOT NULL,
        direction text NOT NULL,
        energy_wh bigint NOT NULL CHECK (energy_wh >= 0),
        substituted boolean NOT NULL,
        source_event_id text NOT NULL,
        replaced_seq bigint,
        CONSTRAINT meter_values_by_day_pkey PRIMARY KEY (period_id, seq)
      ) PARTITION BY RANGE (period_id)`);
    await queryRunner.query(`CREATE UNIQUE INDEX meter_values_current ON meter_values (group_id, period_id, meter_id, direction) WHERE replaced_seq IS NULL`);
    await queryRunner.query(`CREATE INDEX meter_values_history ON meter_values (group_id, period_id, seq)`);
    await queryRunner.query(`CREATE TABLE meter_values_default PARTITION OF meter_values DEFAULT`);
    const days: { day: string }[] = await queryRunner.query(`SELECT DISTINCT left(period_id, 10) AS day FROM meter_values_unpartitioned`);
    for (const { day } of days) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) continue;
      const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      await queryRunner.query(`CREATE TABLE meter_values_d${day.replaceAll('-', '')} PARTITION OF meter_values FOR VALUES FROM ('${day}T00:00:00Z') TO ('${next}T00:00:00Z')`);
    }
    await queryRunner.query(`INSERT INTO meter_values SELECT * FROM meter_values_unpartitioned`);
    await queryRunner.query(`DROP TABLE meter_values_unpartitioned`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE meter_values RENAME TO meter_values_partitioned`);
    await queryRunner.query(`ALTER INDEX meter_values_current RENAME TO meter_values_partitioned_current`);
    await queryRunner.query(`ALTER INDEX meter_values_history RENAME TO meter_values_partitioned_history`);
    await queryRunner.query(`
      CREATE TABLE meter_values (
        seq bigint PRIMARY KEY,
        group_id text NOT NULL,
        period_id text NOT NULL,
        meter_id text NOT NULL,
        direction text NOT NULL,
        energy_wh bigint NOT NULL CHECK (energy_wh >= 0),
        substituted boolean NOT NULL,
        source_event_id text NOT NULL,
        replaced_seq bigint
      )`);
    await queryRunner.query(`INSERT INTO meter_values SELECT * FROM meter_values_partitioned`);
    await queryRunner.query(`CREATE UNIQUE INDEX meter_values_current ON meter_values (group_id, period_id, meter_id, direction) WHERE replaced_seq IS NULL`);
    await queryRunner.query(`CREATE INDEX meter_values_history ON meter_values (group_id, period_id, seq)`);
    await queryRunner.query(`DROP TABLE meter_values_partitioned`);
  }
}
