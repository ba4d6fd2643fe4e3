import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The leaf salt key balancing generates for itself when BALANCING_LEAF_SALT_KEY is not set:
 * one row, written once, so restarts and replicas on this database salt alike.
 */
export class CreateLeafSaltKey1764000004700 implements MigrationInterface {
  name = 'CreateLeafSaltKey1764000004700';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE leaf_salt_key (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), key bytea NOT NULL CHECK (octet_length(key) >= 32))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE leaf_salt_key`);
  }
}
