import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rebuild from the log (docs/integrity.md): a group-period whose versions were adopted from
 * the BALANCING stream on an empty database waits (`restore_pending`) until the replayed
 * values are in and each adopted version's value watermark is found again; the settlement
 * queue skips it meanwhile. A version whose values could not be found again keeps the
 * watermark -1 (its proofs are not served; its totals and root are).
 */
export class AddGroupPeriodRestore1796150000000 implements MigrationInterface {
  name = 'AddGroupPeriodRestore1796150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE group_periods ADD COLUMN restore_pending boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`CREATE INDEX group_periods_restore_pending ON group_periods (period_id) WHERE restore_pending`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX group_periods_restore_pending`);
    await queryRunner.query(`ALTER TABLE group_periods DROP COLUMN restore_pending`);
  }
}
