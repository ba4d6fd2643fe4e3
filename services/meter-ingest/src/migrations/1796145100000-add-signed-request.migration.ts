import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Batches are authenticated by EIP-712 signed requests (docs/trust.md): `signature` is now
 * the request's signature and `signed_request` what else it covers (method, path, nonce =
 * batch id, expiry, chain id, registry), so anyone can verify a stored batch's signature
 * later. Null for batches stored before.
 */
export class AddSignedRequest1796145100000 implements MigrationInterface {
  name = 'AddSignedRequest1796145100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "raw_batches" ADD COLUMN "signed_request" jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "raw_batches" DROP COLUMN "signed_request"`);
  }
}
