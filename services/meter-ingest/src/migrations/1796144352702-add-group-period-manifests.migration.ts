import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Manifests (docs/integrity.md):
 * - manifest_dirty: intake appends (group, period, batch) for every group-period a batch
 *   stored values in, in the batch's transaction; insert-only, so concurrent batches never
 *   wait on each other. The manifest loop deletes exactly the rows it has covered.
 * - group_period_manifests: per group-period the latest manifest meter-ingest published
 *   (revision, count, digest); a new revision only when the digest changed.
 * - a BRIN index on intervals(period_start): the loop reads a period's values by it, and a
 *   BRIN costs the COPY path next to nothing (values arrive roughly in period order).
 */
export class AddGroupPeriodManifests1796144352702 implements MigrationInterface {
  name = 'AddGroupPeriodManifests1796144352702';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "manifest_dirty" (
        "group_id" text NOT NULL,
        "period_start" timestamptz NOT NULL,
        "period_minutes" smallint NOT NULL,
        "batch_seq" bigint NOT NULL,
        PRIMARY KEY ("group_id", "period_start", "batch_seq")
      )`);
    await queryRunner.query(`
      CREATE TABLE "group_period_manifests" (
        "group_id" text NOT NULL,
        "period_start" timestamptz NOT NULL,
        "period_minutes" smallint NOT NULL,
        "revision" integer NOT NULL CHECK ("revision" > 0),
        "value_count" integer NOT NULL CHECK ("value_count" >= 0),
        "digest" text NOT NULL,
        "event_id" text NOT NULL,
        "updated_at" timestamptz NOT NULL,
        PRIMARY KEY ("group_id", "period_start")
      )`);
    await queryRunner.query(`CREATE INDEX "intervals_by_period" ON "intervals" USING brin ("period_start")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "intervals_by_period"`);
    await queryRunner.query(`DROP TABLE "group_period_manifests"`);
    await queryRunner.query(`DROP TABLE "manifest_dirty"`);
  }
}
