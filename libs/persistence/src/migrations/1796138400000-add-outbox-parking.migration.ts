import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lets the outbox relay park a row it cannot publish (too large for the server, a subject
 * JetStream refuses, too many failed attempts) instead of stopping the queue behind it:
 * `parked_at` + `park_reason` (bounded) say when and why, `attempts` counts transient failures.
 * The unpublished index leaves parked rows out, so the relay's scan skips them.
 */
export class AddOutboxParking1796138400000 implements MigrationInterface {
  name = 'AddOutboxParking1796138400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = currentSchema(queryRunner);
    await queryRunner.query(`
      ALTER TABLE "${schema}"."outbox"
        ADD COLUMN "attempts" integer NOT NULL DEFAULT 0,
        ADD COLUMN "parked_at" timestamptz,
        ADD COLUMN "park_reason" text CHECK (char_length("park_reason") <= 500)`);
    await queryRunner.query(`DROP INDEX "${schema}"."outbox_unpublished"`);
    await queryRunner.query(`CREATE INDEX "outbox_unpublished" ON "${schema}"."outbox" ("position") WHERE "published_at" IS NULL AND "parked_at" IS NULL`);
    await queryRunner.query(`CREATE INDEX "outbox_parked" ON "${schema}"."outbox" ("position") WHERE "parked_at" IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = currentSchema(queryRunner);
    await queryRunner.query(`DROP INDEX "${schema}"."outbox_parked"`);
    await queryRunner.query(`DROP INDEX "${schema}"."outbox_unpublished"`);
    await queryRunner.query(`CREATE INDEX "outbox_unpublished" ON "${schema}"."outbox" ("position") WHERE "published_at" IS NULL`);
    await queryRunner.query(`ALTER TABLE "${schema}"."outbox" DROP COLUMN "park_reason", DROP COLUMN "parked_at", DROP COLUMN "attempts"`);
  }
}

function currentSchema(queryRunner: QueryRunner): string {
  const options = queryRunner.connection.options as { schema?: string };
  return options.schema ?? 'public';
}
