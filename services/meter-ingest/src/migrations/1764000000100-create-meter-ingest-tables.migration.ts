import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The meter-ingest tables, in the service schema (search_path puts it first):
 * - registry_events: the registry's append-only event store, one stream per meter;
 * - meter_points: its read model, one row per version with valid_from / valid_to;
 * - raw_batches: every accepted submission as received, with digest, signer and answer (json,
 *   not jsonb, so a re-sent batch gets its answer back byte for byte);
 * - intervals: accepted energy per meter and period (the key makes resubmissions no-ops);
 * - register_readings: accepted cumulative readings, as received;
 * - register_series: per meter, what the register split carries to the next batch (last
 *   reading, and the boundary up to which energy was emitted).
 * Meter ids are ASCII by rule and compared bytewise (COLLATE "C"): the keys every batch
 * looks up and inserts by the ten thousand sort faster than under a locale collation.
 */
export class CreateMeterIngestTables1764000000100 implements MigrationInterface {
  name = 'CreateMeterIngestTables1764000000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "registry_events" (
        "seq" bigserial PRIMARY KEY,
        "meter_id" text COLLATE "C" NOT NULL,
        "event_type" text NOT NULL,
        "data" jsonb NOT NULL,
        "requested_by" text NOT NULL,
        "recorded_at" timestamptz NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX "registry_events_meter" ON "registry_events" ("meter_id", "seq")`);
    await queryRunner.query(`
      CREATE TABLE "meter_points" (
        "meter_id" text COLLATE "C" NOT NULL,
        "valid_from" timestamptz NOT NULL,
        "valid_to" timestamptz,
        "direction" text NOT NULL CHECK ("direction" IN ('consumption', 'production')),
        "mpo" text NOT NULL,
        "dso" text NOT NULL,
        "group_id" text NOT NULL,
        "supplier" text,
        "connection_limit_w" bigint NOT NULL CHECK ("connection_limit_w" > 0),
        "retired" boolean NOT NULL DEFAULT false,
        PRIMARY KEY ("meter_id", "valid_from"),
        CHECK ("valid_to" IS NULL OR "valid_to" > "valid_from")
      )`);
    await queryRunner.query(`
      CREATE TABLE "raw_batches" (
        "batch_id" text PRIMARY KEY,
        "seq" bigint NOT NULL UNIQUE,
        "format" text NOT NULL,
        "source" text NOT NULL,
        "mpo" text NOT NULL,
        "signature" text NOT NULL,
        "body" text NOT NULL,
        "body_encoding" text NOT NULL CHECK ("body_encoding" IN ('utf-8', 'latin1')),
        "received_at" timestamptz NOT NULL,
        "answer" json NOT NULL
      )`);
    // The body as received, as text in its encoding (encoding it back gives the signed bytes);
    // bodies are large, and skipping compression keeps intake fast.
    await queryRunner.query(`ALTER TABLE "raw_batches" ALTER COLUMN "body" SET STORAGE EXTERNAL`);
    await queryRunner.query(`CREATE SEQUENCE "raw_batch_seq"`);
    // Measured events are megabytes of JSON per batch: compressing them on the way into the
    // outbox cost more than storing them as they are for the short time until relayed.
    await queryRunner.query(`ALTER TABLE "outbox" ALTER COLUMN "payload" SET STORAGE EXTERNAL`);
    await queryRunner.query(`
      CREATE TABLE "intervals" (
        "meter_id" text COLLATE "C" NOT NULL,
        "period_start" timestamptz NOT NULL,
        "period_minutes" smallint NOT NULL,
        "energy_wh" bigint NOT NULL CHECK ("energy_wh" >= 0),
        "quality" text NOT NULL,
        "group_id" text NOT NULL,
        "direction" text NOT NULL,
        "batch_seq" bigint NOT NULL,
        PRIMARY KEY ("meter_id", "period_start")
      )`);
    await queryRunner.query(`
      CREATE TABLE "register_readings" (
        "meter_id" text COLLATE "C" NOT NULL,
        "read_at" timestamptz NOT NULL,
        "register_wh" bigint NOT NULL CHECK ("register_wh" >= 0),
        "meter_exchange" boolean NOT NULL,
        "batch_seq" bigint NOT NULL,
        PRIMARY KEY ("meter_id", "read_at")
      )`);
    await queryRunner.query(`
      CREATE TABLE "register_series" (
        "meter_id" text COLLATE "C" PRIMARY KEY,
        "last_at_ms" bigint NOT NULL,
        "last_wh" bigint NOT NULL,
        "anchor_at_ms" bigint NOT NULL,
        "anchor_wh" bigint NOT NULL
      )`);
    // Append-only audit: refuse edits and deletes of what was received and decided.
    await queryRunner.query(`
      CREATE FUNCTION "meter_ingest_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`);
    for (const table of ['raw_batches', 'registry_events']) {
      await queryRunner.query(`CREATE TRIGGER "${table}_append_only" BEFORE UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "meter_ingest_append_only"()`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['register_series', 'register_readings', 'intervals', 'raw_batches', 'meter_points', 'registry_events']) await queryRunner.query(`DROP TABLE "${table}"`);
    await queryRunner.query(`DROP SEQUENCE "raw_batch_seq"`);
    await queryRunner.query(`DROP FUNCTION "meter_ingest_append_only"()`);
  }
}
