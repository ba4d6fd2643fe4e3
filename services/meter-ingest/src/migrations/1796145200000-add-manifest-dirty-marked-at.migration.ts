import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When intake marked a group-period dirty (`manifest_dirty.marked_at`, the batch's
 * transaction time): the manifest loop computes a group-period once batches have stopped
 * arriving for it for a moment, or once its oldest mark has waited long enough, instead of
 * on every pass while its period is still being filled (each computation reads all the
 * period's values; docs/integrity.md).
 */
export class AddManifestDirtyMarkedAt1796145200000 implements MigrationInterface {
  name = 'AddManifestDirtyMarkedAt1796145200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "manifest_dirty" ADD COLUMN "marked_at" timestamptz NOT NULL DEFAULT now()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "manifest_dirty" DROP COLUMN "marked_at"`);
  }
}
