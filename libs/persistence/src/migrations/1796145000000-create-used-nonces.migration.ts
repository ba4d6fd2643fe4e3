import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The nonces of signed requests already accepted (docs/trust.md): one row per signer and
 * nonce until the request's expiry has passed, after which the signature is refused as
 * expired anyway and the row is pruned. Every service has the table; those that take no
 * signed writes leave it empty.
 */
export class CreateUsedNonces1796145000000 implements MigrationInterface {
  name = 'CreateUsedNonces1796145000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = currentSchema(queryRunner);
    await queryRunner.query(`
      CREATE TABLE "${schema}"."used_nonces" (
        "signer" text NOT NULL,
        "nonce" text NOT NULL,
        "expires_at" timestamptz NOT NULL,
        PRIMARY KEY ("signer", "nonce")
      )`);
    await queryRunner.query(`CREATE INDEX "used_nonces_expiry" ON "${schema}"."used_nonces" ("expires_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "${currentSchema(queryRunner)}"."used_nonces"`);
  }
}

function currentSchema(queryRunner: QueryRunner): string {
  const options = queryRunner.connection.options as { schema?: string };
  return options.schema ?? 'public';
}
