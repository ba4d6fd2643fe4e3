import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inbox and outbox tables in the service's own schema (the connection's search_path puts
 * the schema first). Every service lists this migration first in its migrations.
 */
export class CreateMessagingTables1764000000000 implements MigrationInterface {
  name = 'CreateMessagingTables1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = currentSchema(queryRunner);
    await queryRunner.query(`
      CREATE TABLE "${schema}"."inbox" (
        "event_id" text NOT NULL,
        "consumer" text NOT NULL,
        "event_type" text NOT NULL,
        "stream_sequence" bigint NOT NULL,
        "received_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("event_id", "consumer")
      )`);
    await queryRunner.query(`
      CREATE TABLE "${schema}"."outbox" (
        "position" bigserial PRIMARY KEY,
        "event_id" text NOT NULL,
        "event_type" text NOT NULL,
        "subject" text NOT NULL,
        "payload" text NOT NULL,
        "headers" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "published_at" timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX "outbox_unpublished" ON "${schema}"."outbox" ("position") WHERE "published_at" IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = currentSchema(queryRunner);
    await queryRunner.query(`DROP TABLE "${schema}"."outbox"`);
    await queryRunner.query(`DROP TABLE "${schema}"."inbox"`);
  }
}

function currentSchema(queryRunner: QueryRunner): string {
  const options = queryRunner.connection.options as { schema?: string };
  return options.schema ?? 'public';
}
