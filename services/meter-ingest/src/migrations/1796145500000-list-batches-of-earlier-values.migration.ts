import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every stored value's batch gets its row in manifest_batches: values stored before that
 * table had none, and the manifest digested them in SQL because it saw them unlisted. Since
 * manifests may be digested from the batches' lines without reading the values
 * (ManifestSegments), the rows must list every batch; the earlier ones are listed with an
 * unknown count and digest (NULL), which keeps their group-periods in SQL. A no-op on a new
 * installation.
 */
export class ListBatchesOfEarlierValues1796145500000 implements MigrationInterface {
  name = 'ListBatchesOfEarlierValues1796145500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      INSERT INTO "manifest_batches" (period_start, group_id, batch_seq, value_count, digest)
      SELECT DISTINCT period_start, group_id, batch_seq, NULL::int, NULL::text FROM "intervals"
      ON CONFLICT (period_start, group_id, batch_seq) DO NOTHING`);
  }

  async down(): Promise<void> {
    // The rows listed here are indistinguishable from a correction's unknown rows; they stay.
  }
}
