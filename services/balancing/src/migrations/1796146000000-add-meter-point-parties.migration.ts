import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who may read a meter's proof (docs/authorization.md): the registry copy keeps each point
 * version's MPO and supplier as meter-ingest named them. Versions stored before this migration
 * have neither (null): only the market operator reads their proofs until the registry is
 * replayed.
 */
export class AddMeterPointParties1796146000000 implements MigrationInterface {
  name = 'AddMeterPointParties1796146000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE meter_points ADD COLUMN mpo text, ADD COLUMN supplier text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE meter_points DROP COLUMN mpo, DROP COLUMN supplier`);
  }
}
