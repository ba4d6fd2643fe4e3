import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The settled version's inputsDigest (the MPO-signed manifest it settled), committed with it; zero = not attested. */
export class AddCommitInputsDigest1764000700000 implements MigrationInterface {
  name = 'AddCommitInputsDigest1764000700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    await queryRunner.query(`ALTER TABLE "${schema}"."period_commit" ADD COLUMN "inputs_digest" text NOT NULL DEFAULT '0x${'0'.repeat(64)}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    await queryRunner.query(`ALTER TABLE "${schema}"."period_commit" DROP COLUMN "inputs_digest"`);
  }
}
