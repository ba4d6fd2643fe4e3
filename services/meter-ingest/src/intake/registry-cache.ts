import type { PoolClient } from 'pg';
import type { RegistryVersion, RegistryView } from '@gridledger/metering';

type RegistryRow = [meterId: string, direction: 'consumption' | 'production', mpo: string, groupId: string, limitW: string, retired: boolean, validFromMs: number, validToMs: number | null];

/**
 * The registry versions intake validates against, kept in memory between batches instead of
 * read for every batch (10,000 rows a batch was a quarter of the intake's CPU).
 *
 * Kept exact by the registry revision (migration AddRegistryRevision): every write to
 * meter_points bumps one counter row and records the meters it touched, in the writer's
 * transaction. The counter's row lock orders the writers, so revisions commit in order. Each
 * batch reads the counter first (one row): when it moved, the meters changed since are
 * dropped from memory and read again when a batch names them. A meter is therefore never
 * older in memory than the revision the batch read, which is what a read of meter_points at
 * that moment would have returned (intake runs at READ COMMITTED). Unknown meters are
 * remembered too (as no versions): registering one bumps the revision.
 */
export class RegistryCache {
  private revision: string | null = null;
  /**
   * Never changed in place once a batch may be reading it: a catch-up that must forget
   * cached meters replaces the map with a copy (rare: only when a cached meter changed), so
   * a batch validates against the map it started with, without a per-batch copy of 10,000
   * entries (that copy was a tenth of the intake's CPU). Adding meters is safe in place.
   */
  private meters = new Map<string, readonly RegistryVersion[]>();
  /**
   * The meters of recent batches in their order, by first meter, as of `revision` (dropped
   * when it moves): a head-end sends the same meters in the same order every period, and
   * comparing a batch's ids with the last one's position by position costs a tenth of a
   * map lookup each (a lookup hashes the new string and misses the cache on 100,000 meters).
   */
  private sequences = new Map<string, MeterSequence>();
  private sequenceValues = 0;
  /** Few distinct MPOs, groups and limits: one copy of each string / bigint. */
  private readonly interned = new Map<string, string>();
  private readonly limits = new Map<string, bigint>();

  constructor(
    private readonly maxMeters = 2_000_000,
    /** Values the remembered sequences may hold in all (two references each). */
    private readonly maxSequenceValues = 1_000_000,
  ) {}

  /** The versions of every meter named in `meterIds` (none for unknown ones), as of now. */
  async view(client: PoolClient, meterIds: Iterable<string>): Promise<CachedRegistryView> {
    const view = await this.current(client);
    for (const meterId of meterIds) view.get(meterId);
    return this.complete(client, view);
  }

  /**
   * The cache as of the registry's current revision, without looking at any meter: a meter
   * not in memory answers undefined and is noted in `missed` (then `complete` reads it).
   * The hot path validates against this and again only if something was missed, instead of
   * a lookup pass over the batch's meters before validating.
   */
  async current(client: PoolClient): Promise<CachedRegistryView> {
    const { rows } = await client.query<[string]>({ text: `SELECT revision::text FROM registry_revision`, rowMode: 'array' });
    return this.at(client, rows[0]?.[0] ?? '0');
  }

  /** `current` for a revision the caller has read in the same transaction (beginBatch reads it with the batch's number). */
  async at(client: PoolClient, revision: string): Promise<CachedRegistryView> {
    if (revision !== this.revision) await this.catchUp(client, revision);
    return new CachedRegistryView(this.meters, revision, undefined, this.sequences);
  }

  /**
   * Remembers the meters `view` was asked for, in order, with what it answered: the next
   * batch starting with the same meter compares against them first. Only a complete view of
   * the current revision (every meter answered, none missed) is remembered.
   */
  learn(view: CachedRegistryView): void {
    const sequence = view.asked();
    if (view.revision !== this.revision || view.missed.size > 0 || sequence.meterIds.length === 0) return;
    if (this.sequenceValues + sequence.meterIds.length > this.maxSequenceValues) {
      this.sequences = new Map();
      this.sequenceValues = 0;
    }
    const first = sequence.meterIds[0];
    this.sequenceValues += sequence.meterIds.length - (this.sequences.get(first)?.meterIds.length ?? 0);
    this.sequences.set(first, sequence);
  }

  /** `view` with the meters it missed read from the registry (unknown ones as no versions). */
  async complete(client: PoolClient, view: CachedRegistryView): Promise<CachedRegistryView> {
    if (view.missed.size === 0) return view;
    const missing = [...view.missed];
    const loaded = await this.load(client, missing);
    // Remembered only if no batch caught up to a newer revision meanwhile: a meter changed
    // since may have been read before its change committed.
    const remember = this.revision === view.revision;
    // Full: start a new map (the old one may still be read by a batch in flight).
    if (remember && this.meters.size + missing.length > this.maxMeters) this.meters = new Map();
    const fresh = new Map<string, readonly RegistryVersion[]>();
    for (const meterId of missing) {
      const versions = loaded.get(meterId) ?? [];
      fresh.set(meterId, versions);
      if (remember) this.meters.set(meterId, versions);
    }
    return view.with(fresh);
  }

  private async catchUp(client: PoolClient, revision: string): Promise<void> {
    // A registry change may touch any remembered meter: start the sequences again.
    this.sequences = new Map();
    this.sequenceValues = 0;
    if (this.revision !== null) {
      const { rows } = await client.query<[string[] | null]>({
        text: `SELECT meter_ids FROM registry_changes WHERE revision > $1::bigint AND revision <= $2::bigint`,
        values: [this.revision, revision],
        rowMode: 'array',
      });
      let copied = false;
      for (const [meterIds] of rows) {
        // No list: the table was truncated (tests, restores); forget everything.
        if (meterIds === null) {
          this.meters = new Map();
          copied = true;
          continue;
        }
        for (const meterId of meterIds) {
          if (!this.meters.has(meterId)) continue;
          if (!copied) {
            this.meters = new Map(this.meters);
            copied = true;
          }
          this.meters.delete(meterId);
        }
      }
    }
    this.revision = revision;
  }

  private async load(client: PoolClient, meterIds: readonly string[]): Promise<Map<string, RegistryVersion[]>> {
    const result = await client.query<RegistryRow>({
      text: `SELECT meter_id, direction, mpo, group_id, connection_limit_w::text, retired,
                    (extract(epoch FROM valid_from) * 1000)::float8,
                    (extract(epoch FROM valid_to) * 1000)::float8
               FROM meter_points WHERE meter_id = ANY(string_to_array($1, ','))
              ORDER BY meter_id, valid_from`,
      // Meter ids hold no commas (domain rule); one text parameter avoids array escaping.
      values: [meterIds.join(',')],
      rowMode: 'array',
    });
    const byMeter = new Map<string, RegistryVersion[]>();
    for (const [meterId, direction, mpo, groupId, limitText, retired, validFromMs, validToMs] of result.rows) {
      let connectionLimitW = this.limits.get(limitText);
      if (connectionLimitW === undefined) {
        connectionLimitW = BigInt(limitText);
        if (this.limits.size < 10_000) this.limits.set(limitText, connectionLimitW);
      }
      const version: RegistryVersion = { meterId, direction, mpo: this.intern(mpo), groupId: this.intern(groupId), connectionLimitW, validFromMs, validToMs, retired };
      const list = byMeter.get(meterId);
      if (list) list.push(version);
      else byMeter.set(meterId, [version]);
    }
    return byMeter;
  }

  private intern(text: string): string {
    const known = this.interned.get(text);
    if (known !== undefined) return known;
    if (this.interned.size < 100_000) this.interned.set(text, text);
    return text;
  }
}

/** The meters a batch asked for, in order, and what the registry answered for each. */
export interface MeterSequence {
  readonly meterIds: readonly string[];
  readonly versions: readonly (readonly RegistryVersion[] | undefined)[];
}

/** A batch's registry: the cache's map as the batch found it, plus the meters read for it. */
export class CachedRegistryView implements RegistryView {
  /** Meters asked for that neither map holds. */
  readonly missed = new Set<string>();
  private count = 0;
  /**
   * The meters asked for and the answers, recorded only once the batch leaves the remembered
   * sequence (or has none): a batch that follows it throughout is that sequence, and two
   * arrays of 10,000 built per batch, then kept by `learn` in place of equal ones, were
   * garbage the collector promoted.
   */
  private recorded: { meterIds: string[]; versions: (readonly RegistryVersion[] | undefined)[] } | undefined;
  /** The remembered sequence this batch follows (chosen by its first meter), if any. */
  private sequence: MeterSequence | undefined;

  constructor(
    private readonly known: ReadonlyMap<string, readonly RegistryVersion[]>,
    readonly revision: string,
    private readonly loaded?: ReadonlyMap<string, readonly RegistryVersion[]>,
    private readonly sequences?: ReadonlyMap<string, MeterSequence>,
  ) {}

  get(meterId: string): readonly RegistryVersion[] | undefined {
    const at = this.count;
    this.count += 1;
    if (at === 0) this.sequence = this.sequences?.get(meterId);
    // The same meter at the same position as in the remembered batch: its answer, without a
    // lookup (remembered under this revision, so the maps would answer the same).
    const remembered = this.sequence !== undefined && this.sequence.meterIds[at] === meterId ? this.sequence.versions[at] : undefined;
    if (remembered !== undefined && this.recorded === undefined) return remembered;
    // The first meter off the remembered sequence: the meters before it are its prefix.
    this.recorded ??= { meterIds: this.sequence?.meterIds.slice(0, at) ?? [], versions: this.sequence?.versions.slice(0, at) ?? [] };
    const versions = remembered ?? this.loaded?.get(meterId) ?? this.known.get(meterId);
    if (versions === undefined) this.missed.add(meterId);
    this.recorded.meterIds.push(meterId);
    this.recorded.versions.push(versions);
    return versions;
  }

  /** The meters asked for so far, in order, with the answers (RegistryCache.learn). */
  asked(): MeterSequence {
    if (this.recorded !== undefined) return this.recorded;
    const followed = this.sequence;
    if (followed === undefined || this.count === 0) return { meterIds: [], versions: [] };
    if (this.count === followed.meterIds.length) return followed;
    return { meterIds: followed.meterIds.slice(0, this.count), versions: followed.versions.slice(0, this.count) };
  }

  /** The same view with the meters it missed read; it keeps the sequences of its revision. */
  with(loaded: ReadonlyMap<string, readonly RegistryVersion[]>): CachedRegistryView {
    return new CachedRegistryView(this.known, this.revision, loaded, this.sequences);
  }
}
