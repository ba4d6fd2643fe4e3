import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Manifests (docs/integrity.md):
 * - ingest_manifests: per group-period the latest manifest meter-ingest published (highest
 *   revision wins), what balancing's own values must match before it settles;
 * - group_periods.resend_requested_at / resends / awaiting_since: a mismatch at the deadline
 *   (or for a correction) asked meter-ingest to re-send; the group-period waits for the values
 *   (a new value or manifest wakes it) and asks again after BALANCING_RESEND_RETRY_MS;
 *   inputs_mismatch keeps what differed, for the reconciler and the operator;
 * - period_versions.substitution_reason: why a version holds substitutes (null: none).
 */
export class AddIngestManifests1796144900000 implements MigrationInterface {
  name = 'AddIngestManifests1796144900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ingest_manifests (
        group_id text NOT NULL,
        period_id text NOT NULL,
        revision integer NOT NULL,
        value_count integer NOT NULL,
        digest text NOT NULL,
        data jsonb NOT NULL,
        received_at timestamptz NOT NULL,
        PRIMARY KEY (group_id, period_id)
      )`);
    await queryRunner.query(`
      ALTER TABLE group_periods
        ADD COLUMN resend_requested_at timestamptz,
        ADD COLUMN resends integer NOT NULL DEFAULT 0,
        ADD COLUMN awaiting_since timestamptz,
        ADD COLUMN inputs_mismatch jsonb`);
    await queryRunner.query(`ALTER TABLE period_versions ADD COLUMN substitution_reason text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE period_versions DROP COLUMN substitution_reason`);
    await queryRunner.query(`ALTER TABLE group_periods DROP COLUMN resend_requested_at, DROP COLUMN resends, DROP COLUMN awaiting_since, DROP COLUMN inputs_mismatch`);
    await queryRunner.query(`DROP TABLE ingest_manifests`);
  }
}
