import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The settled event's W3C trace context, so the chain work and chain.* events join its trace. */
export class AddCommitTraceHeaders1764000600000 implements MigrationInterface {
  name = 'AddCommitTraceHeaders1764000600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    await queryRunner.query(`ALTER TABLE "${schema}"."period_commit" ADD COLUMN "trace_headers" jsonb NOT NULL DEFAULT '{}'::jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    await queryRunner.query(`ALTER TABLE "${schema}"."period_commit" DROP COLUMN "trace_headers"`);
  }
}
