import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The submission a sent commit rides in when it shares one commitPeriodBatch transaction with other groups; null = its own. */
export class AddCommitSubmissionKey1764000800000 implements MigrationInterface {
  name = 'AddCommitSubmissionKey1764000800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    await queryRunner.query(`ALTER TABLE "${schema}"."period_commit" ADD COLUMN "submission_key" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    await queryRunner.query(`ALTER TABLE "${schema}"."period_commit" DROP COLUMN "submission_key"`);
  }
}
