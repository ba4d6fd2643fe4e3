import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Poison parking: a group-period whose settlement keeps failing counts its failures, keeps the
 * last error (bounded) and, after BALANCING_SETTLE_MAX_FAILURES, is parked: the settlement
 * queue skips it until a new input (value, schedule, price) resets it. `last_failed_at` backs
 * off a failing row so the others settle first.
 */
export class AddGroupPeriodFailures1764000003000 implements MigrationInterface {
  name = 'AddGroupPeriodFailures1764000003000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE group_periods
        ADD COLUMN failures integer NOT NULL DEFAULT 0,
        ADD COLUMN last_error text CHECK (char_length(last_error) <= 500),
        ADD COLUMN last_failed_at timestamptz,
        ADD COLUMN parked_at timestamptz`);
    await queryRunner.query(`CREATE INDEX group_periods_parked ON group_periods (period_id) WHERE parked_at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX group_periods_parked`);
    await queryRunner.query(`ALTER TABLE group_periods DROP COLUMN failures, DROP COLUMN last_error, DROP COLUMN last_failed_at, DROP COLUMN parked_at`);
  }
}
