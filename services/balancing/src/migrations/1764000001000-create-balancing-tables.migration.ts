import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Balancing's own tables (in the `balancing` schema, first on the search_path).
 *
 * Meter values are append-only: a changed value inserts a new row and marks the old one
 * replaced (`replaced_seq` = the new row's `seq`). A settled version records the highest
 * `seq` it saw (`value_watermark`), so any version's exact values can be read back later:
 * seq ≤ watermark and (replaced_seq is null or replaced_seq > watermark). Versions and
 * ledger entries are insert-only; a settled version is never edited.
 */
export class CreateBalancingTables1764000001000 implements MigrationInterface {
  name = 'CreateBalancingTables1764000001000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE meter_points (
        meter_id text NOT NULL,
        valid_from timestamptz NOT NULL,
        valid_to timestamptz,
        direction text NOT NULL,
        group_id text NOT NULL,
        PRIMARY KEY (meter_id, valid_from)
      )`);
    await queryRunner.query(`CREATE INDEX meter_points_by_group ON meter_points (group_id, valid_from)`);

    await queryRunner.query(`
      CREATE TABLE group_periods (
        group_id text NOT NULL,
        period_id text NOT NULL,
        period_length text NOT NULL,
        period_start timestamptz NOT NULL,
        gate_deadline timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'open',
        needs_check boolean NOT NULL DEFAULT true,
        dirty boolean NOT NULL DEFAULT false,
        latest_version integer NOT NULL DEFAULT 0,
        confirmed_version integer,
        PRIMARY KEY (group_id, period_id),
        CONSTRAINT group_periods_status CHECK (status IN ('open', 'settled', 'confirmed'))
      )`);
    await queryRunner.query(`CREATE INDEX group_periods_open ON group_periods (gate_deadline) WHERE status = 'open'`);
    await queryRunner.query(`CREATE INDEX group_periods_work ON group_periods (period_id) WHERE needs_check OR dirty`);
    await queryRunner.query(`CREATE INDEX group_periods_by_period ON group_periods (period_id)`);

    // One row per period balancing has seen: its first sight opens every registry group for it.
    await queryRunner.query(`CREATE TABLE market_periods (period_id text PRIMARY KEY, period_length text NOT NULL)`);

    await queryRunner.query(`CREATE SEQUENCE meter_value_seq`);
    await queryRunner.query(`
      CREATE TABLE meter_values (
        seq bigint PRIMARY KEY,
        group_id text NOT NULL,
        period_id text NOT NULL,
        meter_id text NOT NULL,
        direction text NOT NULL,
        energy_wh bigint NOT NULL CHECK (energy_wh >= 0),
        substituted boolean NOT NULL,
        source_event_id text NOT NULL,
        replaced_seq bigint
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX meter_values_current ON meter_values (group_id, period_id, meter_id, direction) WHERE replaced_seq IS NULL`);
    await queryRunner.query(`CREATE INDEX meter_values_history ON meter_values (group_id, period_id, seq)`);

    await queryRunner.query(`
      CREATE TABLE schedules (
        schedule_id text PRIMARY KEY,
        period_id text NOT NULL,
        from_group text NOT NULL,
        to_group text NOT NULL,
        energy_wh bigint NOT NULL CHECK (energy_wh >= 0),
        source_version integer NOT NULL DEFAULT 0,
        CHECK (from_group <> to_group)
      )`);
    await queryRunner.query(`CREATE INDEX schedules_by_period ON schedules (period_id)`);

    await queryRunner.query(`
      CREATE TABLE prices (
        period_id text PRIMARY KEY,
        imbalance_price_per_mwh bigint NOT NULL,
        energy_price_per_mwh bigint
      )`);

    await queryRunner.query(`
      CREATE TABLE period_versions (
        group_id text NOT NULL,
        period_id text NOT NULL,
        version integer NOT NULL,
        period_length text NOT NULL,
        trigger text NOT NULL,
        feed_in_wh bigint NOT NULL,
        feed_out_wh bigint NOT NULL,
        schedule_net_wh bigint NOT NULL,
        imbalance_wh bigint NOT NULL,
        imbalance_price_per_mwh bigint,
        imbalance_amount bigint,
        ledger_digest text NOT NULL,
        merkle_root text NOT NULL,
        meter_count integer NOT NULL,
        substituted_count integer NOT NULL,
        value_watermark bigint NOT NULL,
        settled_at timestamptz NOT NULL,
        PRIMARY KEY (group_id, period_id, version),
        CHECK (feed_in_wh - feed_out_wh - schedule_net_wh = imbalance_wh)
      )`);

    await queryRunner.query(`
      CREATE TABLE ledger_entries (
        posting_id text NOT NULL,
        account text NOT NULL,
        debit bigint NOT NULL CHECK (debit >= 0),
        credit bigint NOT NULL CHECK (credit >= 0),
        group_id text NOT NULL,
        period_id text NOT NULL,
        version integer NOT NULL,
        PRIMARY KEY (posting_id, account)
      )`);
    await queryRunner.query(`CREATE INDEX ledger_entries_by_period ON ledger_entries (group_id, period_id)`);

    await queryRunner.query(`
      CREATE TABLE period_closures (
        period_id text NOT NULL,
        revision integer NOT NULL,
        groups_digest text NOT NULL,
        PRIMARY KEY (period_id, revision)
      )`);

    await queryRunner.query(`
      CREATE TABLE rejected_inputs (
        id bigserial PRIMARY KEY,
        source text NOT NULL,
        reference text NOT NULL,
        reason text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['rejected_inputs', 'period_closures', 'ledger_entries', 'period_versions', 'prices', 'schedules', 'meter_values', 'market_periods', 'group_periods', 'meter_points']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
    await queryRunner.query(`DROP SEQUENCE meter_value_seq`);
  }
}
