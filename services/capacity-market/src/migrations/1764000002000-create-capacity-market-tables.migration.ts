import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * capacity-market's tables (schema `capacity_market`, first on the search_path).
 *
 * - `events`: the append-only event store of the plant-shares and holder deciders, the
 *   truth; one stream per plant or holder, (stream_id, stream_version) unique, never updated.
 * - `plants`, `holders`: projections of those events, written with them, rebuildable.
 * - `holdings`: [valid_from, valid_to) rows; a change closes the open row and opens a new
 *   one, so the holdings at any past instant stay readable.
 * - `meter_values`, `prices`: this period's inputs (latest value wins; a change marks the
 *   period dirty for recomputation).
 * - `periods`, `allocation_versions`, `holder_allocations`, `plant_allocations`,
 *   `holding_allocations`, `ledger_entries`, `published_exchanges`: computed versions, insert
 *   only; a recomputation adds version n+1 and reverses version n's postings.
 */
export class CreateCapacityMarketTables1764000002000 implements MigrationInterface {
  name = 'CreateCapacityMarketTables1764000002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE events (
        seq bigserial PRIMARY KEY,
        stream_id text NOT NULL,
        stream_version integer NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        UNIQUE (stream_id, stream_version)
      )`,
      `CREATE TABLE plants (
        plant_id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('pv', 'wind', 'hydro')),
        meter_id text NOT NULL UNIQUE,
        capacity_w bigint NOT NULL CHECK (capacity_w > 0),
        operator text NOT NULL,
        group_id text NOT NULL,
        fee_per_mw_period_cents bigint NOT NULL CHECK (fee_per_mw_period_cents >= 0),
        issued_w bigint NOT NULL DEFAULT 0,
        stream_version integer NOT NULL,
        last_change_at timestamptz NOT NULL,
        CHECK (issued_w >= 0 AND issued_w <= capacity_w)
      )`,
      `CREATE TABLE holders (
        holder_id text PRIMARY KEY,
        consumption_meter_id text NOT NULL UNIQUE,
        group_id text NOT NULL,
        registered_at timestamptz NOT NULL
      )`,
      `CREATE TABLE holdings (
        id bigserial PRIMARY KEY,
        plant_id text NOT NULL REFERENCES plants (plant_id),
        holder_id text NOT NULL REFERENCES holders (holder_id),
        shares_w bigint NOT NULL CHECK (shares_w > 0),
        valid_from timestamptz NOT NULL,
        valid_to timestamptz,
        CHECK (valid_to IS NULL OR valid_to >= valid_from)
      )`,
      `CREATE UNIQUE INDEX holdings_current ON holdings (plant_id, holder_id) WHERE valid_to IS NULL`,
      `CREATE INDEX holdings_by_holder ON holdings (holder_id, valid_from)`,
      `CREATE INDEX holdings_by_time ON holdings (valid_from, valid_to)`,
      `CREATE TABLE meter_values (
        meter_id text NOT NULL,
        period_id text NOT NULL,
        energy_wh bigint NOT NULL CHECK (energy_wh >= 0),
        source_event_id text NOT NULL,
        PRIMARY KEY (period_id, meter_id)
      )`,
      `CREATE TABLE prices (
        period_id text PRIMARY KEY,
        energy_price_per_mwh bigint NOT NULL,
        source_event_id text NOT NULL
      )`,
      `CREATE TABLE periods (
        period_id text PRIMARY KEY,
        period_length text NOT NULL,
        period_start timestamptz NOT NULL,
        period_end timestamptz NOT NULL,
        latest_version integer NOT NULL DEFAULT 0,
        dirty boolean NOT NULL DEFAULT true
      )`,
      `CREATE INDEX periods_dirty ON periods (period_end) WHERE dirty`,
      `CREATE TABLE allocation_versions (
        period_id text NOT NULL,
        version integer NOT NULL,
        reason text NOT NULL,
        digest text NOT NULL,
        energy_price_per_mwh bigint NOT NULL,
        holder_count integer NOT NULL,
        plant_count integer NOT NULL,
        computed_at timestamptz NOT NULL,
        PRIMARY KEY (period_id, version)
      )`,
      `CREATE TABLE plant_allocations (
        period_id text NOT NULL,
        version integer NOT NULL,
        plant_id text NOT NULL,
        group_id text NOT NULL,
        capacity_w bigint NOT NULL,
        issued_w bigint NOT NULL,
        output_wh bigint NOT NULL,
        allocated_to_holders_wh bigint NOT NULL,
        operator_wh bigint NOT NULL,
        PRIMARY KEY (period_id, version, plant_id),
        CHECK (allocated_to_holders_wh + operator_wh = output_wh)
      )`,
      `CREATE TABLE holder_allocations (
        period_id text NOT NULL,
        version integer NOT NULL,
        holder_id text NOT NULL,
        group_id text NOT NULL,
        allocated_wh bigint NOT NULL,
        consumed_wh bigint NOT NULL,
        residual_wh bigint NOT NULL,
        surplus_wh bigint NOT NULL,
        capacity_fee_cents bigint NOT NULL,
        residual_cost_cents bigint NOT NULL,
        surplus_revenue_cents bigint NOT NULL,
        PRIMARY KEY (period_id, version, holder_id),
        CHECK (consumed_wh - allocated_wh = residual_wh - surplus_wh)
      )`,
      `CREATE INDEX holder_allocations_by_holder ON holder_allocations (holder_id, period_id)`,
      `CREATE TABLE holding_allocations (
        period_id text NOT NULL,
        version integer NOT NULL,
        holder_id text NOT NULL,
        plant_id text NOT NULL,
        shares_w bigint NOT NULL,
        allocated_wh bigint NOT NULL,
        PRIMARY KEY (period_id, version, holder_id, plant_id)
      )`,
      `CREATE TABLE ledger_entries (
        posting_id text NOT NULL,
        account text NOT NULL,
        amount_cents bigint NOT NULL,
        kind text NOT NULL,
        holder_id text NOT NULL,
        period_id text NOT NULL,
        version integer NOT NULL,
        PRIMARY KEY (posting_id, account)
      )`,
      `CREATE INDEX ledger_entries_by_period ON ledger_entries (period_id, version)`,
      `CREATE INDEX ledger_entries_by_account ON ledger_entries (account)`,
      `CREATE TABLE published_exchanges (
        period_id text NOT NULL,
        version integer NOT NULL,
        from_group text NOT NULL,
        to_group text NOT NULL,
        energy_wh bigint NOT NULL CHECK (energy_wh >= 0),
        PRIMARY KEY (period_id, version, from_group, to_group)
      )`,
      `CREATE TABLE rejected_inputs (
        id bigserial PRIMARY KEY,
        source text NOT NULL,
        field text NOT NULL,
        reason text NOT NULL,
        input text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now()
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const tables = [
      'rejected_inputs',
      'published_exchanges',
      'ledger_entries',
      'holding_allocations',
      'holder_allocations',
      'plant_allocations',
      'allocation_versions',
      'periods',
      'prices',
      'meter_values',
      'holdings',
      'holders',
      'plants',
      'events',
    ];
    for (const table of tables) await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
  }
}
