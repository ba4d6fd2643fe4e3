import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The registry revision intake's in-memory registry follows (intake/registry-cache.ts):
 * - registry_revision: one row, bumped by every statement that writes meter_points; its row
 *   lock orders concurrent registry writers, so revisions commit in increasing order;
 * - registry_changes: per revision, the meters that statement touched (NULL: all of them,
 *   after a TRUNCATE).
 * Triggers, not application code, so that every writer of meter_points is covered.
 */
export class AddRegistryRevision1796144400000 implements MigrationInterface {
  name = 'AddRegistryRevision1796144400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "registry_revision" ("only" boolean PRIMARY KEY DEFAULT true CHECK ("only"), "revision" bigint NOT NULL)`);
    await queryRunner.query(`INSERT INTO "registry_revision" ("revision") VALUES (1)`);
    await queryRunner.query(`CREATE TABLE "registry_changes" ("revision" bigint PRIMARY KEY, "meter_ids" text[])`);
    await queryRunner.query(`
      CREATE FUNCTION "meter_points_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE next bigint;
      BEGIN
        UPDATE registry_revision SET revision = revision + 1 RETURNING revision INTO next;
        IF TG_OP = 'TRUNCATE' THEN
          INSERT INTO registry_changes (revision, meter_ids) VALUES (next, NULL);
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO registry_changes (revision, meter_ids) SELECT next, coalesce(array_agg(DISTINCT meter_id), '{}') FROM old_rows;
        ELSE
          INSERT INTO registry_changes (revision, meter_ids) SELECT next, coalesce(array_agg(DISTINCT meter_id), '{}') FROM new_rows;
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "meter_points_inserted" AFTER INSERT ON "meter_points" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "meter_points_changed"()`);
    // An update never changes meter_id (the key), so the new rows name every meter touched.
    await queryRunner.query(`CREATE TRIGGER "meter_points_updated" AFTER UPDATE ON "meter_points" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "meter_points_changed"()`);
    await queryRunner.query(`CREATE TRIGGER "meter_points_deleted" AFTER DELETE ON "meter_points" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "meter_points_changed"()`);
    await queryRunner.query(`CREATE TRIGGER "meter_points_truncated" AFTER TRUNCATE ON "meter_points" FOR EACH STATEMENT EXECUTE FUNCTION "meter_points_changed"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const trigger of ['inserted', 'updated', 'deleted', 'truncated']) await queryRunner.query(`DROP TRIGGER "meter_points_${trigger}" ON "meter_points"`);
    await queryRunner.query(`DROP FUNCTION "meter_points_changed"()`);
    await queryRunner.query(`DROP TABLE "registry_changes"`);
    await queryRunner.query(`DROP TABLE "registry_revision"`);
  }
}
