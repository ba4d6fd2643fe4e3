import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bridge's own records in schema chain_bridge: every settled version it must anchor and
 * where it stands, every transaction it signed (write-ahead, with the raw bytes so a crash
 * between signing and broadcasting can be resumed), the market-wide finalizations, the block
 * cursor, and alarms.
 */
export class CreateChainBridgeTables1764000500000 implements MigrationInterface {
  name = 'CreateChainBridgeTables1764000500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    await queryRunner.query(`
      CREATE TABLE "${schema}"."period_commit" (
        "group_id" text NOT NULL,
        "period_id" text NOT NULL,
        "version" integer NOT NULL,
        "period_start" bigint NOT NULL,
        "feed_in_wh" numeric(78, 0) NOT NULL,
        "feed_out_wh" numeric(78, 0) NOT NULL,
        "schedule_net_wh" numeric(78, 0) NOT NULL,
        "imbalance_wh" numeric(78, 0) NOT NULL,
        "merkle_root" text NOT NULL,
        "meter_count" bigint NOT NULL,
        "source_event_id" text NOT NULL,
        "source_subject" text NOT NULL,
        "source_sequence" bigint NOT NULL,
        "source_payload" text NOT NULL,
        "status" text NOT NULL CHECK ("status" IN ('pending', 'submitted', 'included', 'confirmed', 'rejected', 'conflict')),
        "tx_hash" text,
        "block_number" bigint,
        "block_hash" text,
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        "received_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "confirmed_at" timestamptz,
        PRIMARY KEY ("group_id", "period_id", "version")
      )`);
    await queryRunner.query(`CREATE INDEX "period_commit_open" ON "${schema}"."period_commit" ("status", "period_start") WHERE "status" IN ('pending', 'submitted', 'included')`);
    await queryRunner.query(`
      CREATE TABLE "${schema}"."period_finalization" (
        "period_id" text PRIMARY KEY,
        "period_start" bigint NOT NULL,
        "revision" integer NOT NULL,
        "groups" jsonb NOT NULL,
        "feed_in_wh" numeric(78, 0) NOT NULL,
        "feed_out_wh" numeric(78, 0) NOT NULL,
        "schedule_net_wh" numeric(78, 0) NOT NULL,
        "imbalance_wh" numeric(78, 0) NOT NULL,
        "status" text NOT NULL CHECK ("status" IN ('waiting', 'submitted', 'included', 'confirmed', 'rejected')),
        "tx_hash" text,
        "block_number" bigint,
        "block_hash" text,
        "last_error" text,
        "next_attempt_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE "${schema}"."submission" (
        "id" bigserial PRIMARY KEY,
        "kind" text NOT NULL CHECK ("kind" IN ('commit', 'finalize')),
        "subject_key" text NOT NULL,
        "signer" text NOT NULL,
        "nonce" bigint NOT NULL,
        "tx_hash" text NOT NULL UNIQUE,
        "raw_tx" text NOT NULL,
        "gas_limit" numeric(78, 0) NOT NULL,
        "max_fee_per_gas" numeric(78, 0) NOT NULL,
        "max_priority_fee_per_gas" numeric(78, 0) NOT NULL,
        "replaces" bigint REFERENCES "${schema}"."submission" ("id"),
        "status" text NOT NULL CHECK ("status" IN ('sent', 'mined', 'reverted', 'replaced', 'dropped')),
        "block_number" bigint,
        "block_hash" text,
        "error" text,
        "sent_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX "submission_open" ON "${schema}"."submission" ("subject_key") WHERE "status" = 'sent'`);
    await queryRunner.query(`
      CREATE TABLE "${schema}"."chain_cursor" (
        "name" text PRIMARY KEY,
        "block_number" bigint NOT NULL,
        "block_hash" text NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE "${schema}"."chain_alarm" (
        "id" bigserial PRIMARY KEY,
        "kind" text NOT NULL,
        "group_id" text,
        "period_id" text,
        "version" integer,
        "detail" text NOT NULL,
        "raised_at" timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const schema = (queryRunner.connection.options as { schema?: string }).schema ?? 'public';
    for (const table of ['chain_alarm', 'chain_cursor', 'submission', 'period_finalization', 'period_commit']) {
      await queryRunner.query(`DROP TABLE "${schema}"."${table}"`);
    }
  }
}
