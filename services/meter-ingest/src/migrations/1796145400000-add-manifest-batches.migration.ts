import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * manifest_batches: a batch's count and digest of its values per group-period, computed by
 * intake from the values it holds when it stores them (in the batch's transaction), so the
 * manifest statement no longer sorts every value of a period a second time for the per-batch
 * level (docs/integrity.md). NULL count and digest: a DSO correction moved values of that
 * batch in or out of the group since; the manifest computes that group-period's batch level
 * in SQL again. Values stored before this table have no row here, which the manifest
 * statement sees (values of a batch without a row), and are computed in SQL as before.
 */
export class AddManifestBatches1796145400000 implements MigrationInterface {
  name = 'AddManifestBatches1796145400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "manifest_batches" (
        "period_start" timestamptz NOT NULL,
        "group_id" text NOT NULL,
        "batch_seq" bigint NOT NULL,
        "value_count" integer CHECK ("value_count" > 0),
        "digest" text CHECK (("digest" IS NULL) = ("value_count" IS NULL)),
        PRIMARY KEY ("period_start", "group_id", "batch_seq")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "manifest_batches"`);
  }
}
