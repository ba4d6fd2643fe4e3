import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A snapshot of each plant stream's decider state, written in the transaction that appends
 * its events (`persistence/plant-snapshot.ts`), so a command reads the plant's totals and the
 * balances of the holders it names instead of folding the whole, growing stream.
 *
 * - `plant_snapshots`: the stream version the snapshot is at, the shares in circulation and the
 *   instant of the last event.
 * - `plant_snapshot_balances`: each holder's balance at that version (no row: 0 W).
 *
 * A cache of the event store, never the truth: a snapshot whose version is not the stream's
 * last is ignored and rewritten from a full fold.
 */
export class AddPlantSnapshots1796160000000 implements MigrationInterface {
  name = 'AddPlantSnapshots1796160000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE plant_snapshots (
        stream_id text PRIMARY KEY,
        stream_version integer NOT NULL CHECK (stream_version > 0),
        issued_w bigint NOT NULL CHECK (issued_w >= 0),
        changed_at text NOT NULL
      )`,
    );
    await queryRunner.query(
      `CREATE TABLE plant_snapshot_balances (
        stream_id text NOT NULL REFERENCES plant_snapshots (stream_id) ON DELETE CASCADE,
        holder_id text NOT NULL,
        shares_w bigint NOT NULL CHECK (shares_w > 0),
        PRIMARY KEY (stream_id, holder_id)
      )`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS plant_snapshot_balances`);
    await queryRunner.query(`DROP TABLE IF EXISTS plant_snapshots`);
  }
}
