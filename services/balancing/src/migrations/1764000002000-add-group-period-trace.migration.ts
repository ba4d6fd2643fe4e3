import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The W3C trace context of the last batch that changed a group-period, so its settlement (and
 * the chain work after it) joins that batch's trace instead of starting a new one.
 */
export class AddGroupPeriodTrace1764000002000 implements MigrationInterface {
  name = 'AddGroupPeriodTrace1764000002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE group_periods ADD COLUMN trace_headers jsonb NOT NULL DEFAULT '{}'::jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE group_periods DROP COLUMN trace_headers`);
  }
}
