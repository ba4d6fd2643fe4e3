import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EMPTY_VALUES_DIGEST, digestOfSegments, formatInstant, valuesDigest, valuesSegment, type GroupPeriodManifestDigests, type ManifestValue, type SignedBatchRequest, type ValuesDigest, type ValuesSegment } from '@gridledger/domain';
import { MAX_INTERVALS_PER_EVENT, MeterIntervalsMeasured, deterministicEventId } from '@gridledger/events';
import { ManifestSegments } from '../manifests/manifest-segments';

/** A group-period some batch stored values in since its manifest was last computed. */
export interface DirtyGroupPeriod {
  readonly groupId: string;
  readonly periodStart: Date;
  readonly periodMinutes: number;
  /** The dirty rows this covers (deleted once its manifest is written). */
  readonly batchSeqs: readonly string[];
}

/** How long the manifest loop leaves a group-period that batches are still filling. */
export interface ManifestWait {
  /** Computed once no batch has marked it for this long… */
  readonly quietMs: number;
  /** …or once its oldest mark is this old, however busy. */
  readonly maxWaitMs: number;
}

export const NO_WAIT: ManifestWait = { quietMs: 0, maxWaitMs: 0 };

export interface StoredManifest {
  readonly revision: number;
  readonly count: number;
  readonly digest: string;
  readonly eventId: string;
}


/** A new revision of one group-period's manifest, as ManifestsRepository.store writes it. */
export interface ManifestRevision {
  readonly groupId: string;
  readonly periodStart: Date;
  readonly periodMinutes: number;
  readonly manifest: StoredManifest;
}

/** An accepted value as intake stored it: what its manifest lines and marks need. */
export interface StoredValue extends ManifestValue {
  readonly groupId: string;
  readonly periodId: string;
  readonly periodStartMs: number;
}

/** A batch's count and digest in one group-period, with its lines when they are kept. */
export interface BatchManifest {
  readonly groupId: string;
  readonly periodId: string;
  readonly periodStartMs: number;
  readonly count: number;
  /** 0x-hex. */
  readonly digest: string;
  readonly segment?: ValuesSegment;
}

/**
 * The batch's count and digest per group-period, computed from the values it stored, by
 * balancing group (valuesDigest, a few ms per 10,000 values, instead of sorting every value
 * of the period again in SQL); with `keepLines`, with the lines hashed (ManifestSegments).
 * Pure: intake computes it while Postgres inserts the values.
 */
export function batchManifestsOf(byGroup: ReadonlyMap<string, readonly StoredValue[]>, keepLines: boolean): BatchManifest[] {
  const manifests: BatchManifest[] = [];
  for (const [groupId, values] of byGroup) {
    for (const [periodId, inPeriod] of byPeriod(values)) {
      const periodStartMs = inPeriod[0].periodStartMs;
      if (keepLines) {
        const segment = valuesSegment(inPeriod);
        manifests.push({ groupId, periodId, periodStartMs, count: segment.count, digest: segment.digest, segment });
      } else manifests.push({ groupId, periodId, periodStartMs, ...valuesDigest(inPeriod) });
    }
  }
  return manifests;
}

/**
 * The intake's part of the batch's closing statement (closeBatch), with its batchManifestsOf:
 * the group-periods they are in are dirty (one row per group, period and batch in
 * manifest_dirty, insert-only, so batches never wait on each other), and the batch's count
 * and digest per group-period go to manifest_batches. The manifest itself is computed later,
 * off the intake's path. Returns the two data-modifying CTEs, their values numbered by
 * `param`; none for a batch without values.
 */
export function batchManifestWrites(manifests: readonly BatchManifest[], periodMinutes: number, batchSeq: string, param: (value: unknown) => string): string[] {
  if (manifests.length === 0) return [];
  const groups = param(manifests.map((m) => m.groupId));
  const periods = param(manifests.map((m) => m.periodId));
  const seq = param(batchSeq);
  return [
    `marked AS (INSERT INTO manifest_dirty (group_id, period_start, period_minutes, batch_seq)
       SELECT g, p::timestamptz, ${param(periodMinutes)}, ${seq}::bigint FROM unnest(${groups}::text[], ${periods}::text[]) AS x(g, p) ON CONFLICT DO NOTHING)`,
    // Digests stored as the SQL digests are, hex without 0x.
    `batch_digests AS (INSERT INTO manifest_batches (period_start, group_id, batch_seq, value_count, digest)
       SELECT p::timestamptz, g, ${seq}::bigint, n, d FROM unnest(${groups}::text[], ${periods}::text[], ${param(manifests.map((m) => m.count))}::int[], ${param(manifests.map((m) => m.digest.slice(2)))}::text[]) AS x(g, p, n, d))`,
  ];
}

/** With `segments`, the lines the batch hashed are kept there for the manifest loop (ManifestSegments). */
export function keepBatchSegments(manifests: readonly BatchManifest[], batchSeq: string, segments?: ManifestSegments): void {
  if (!segments) return;
  for (const manifest of manifests) if (manifest.segment) segments.keep(manifest.periodStartMs, manifest.groupId, batchSeq, manifest.segment);
}

/** A group's values by period; a batch mostly holds one period, which needs no copy. */
function byPeriod(values: readonly StoredValue[]): Iterable<[string, readonly StoredValue[]]> {
  if (values.length === 0) return [];
  const first = values[0].periodId;
  if (values.every((value) => value.periodId === first)) return [[first, values]];
  const periods = new Map<string, StoredValue[]>();
  for (const value of values) {
    const list = periods.get(value.periodId);
    if (list) list.push(value);
    else periods.set(value.periodId, [value]);
  }
  return periods;
}

/**
 * The digest of the canonical value lines (valuesDigest in @gridledger/domain), in SQL:
 * `meterId|direction|wh\n` sorted bytewise by meter, then direction.
 */
const DIGEST_SQL = `encode(sha256(convert_to(coalesce(string_agg(i.meter_id || '|' || i.direction || '|' || i.energy_wh::text || E'\\n', '' ORDER BY i.meter_id COLLATE "C", i.direction COLLATE "C"), ''), 'UTF8')), 'hex')`;

/** meter-ingest's manifests: dirty marks, the computation in SQL, the latest published per group-period. */
@Injectable()
export class ManifestsRepository {
  /** `segments`: the lines this process's intake kept (none in tests of the SQL alone). */
  constructor(@Optional() @Inject(ManifestSegments) private readonly segments?: ManifestSegments) {}

  /**
   * Up to `limit` dirty group-periods, oldest period first: those no batch has marked for
   * `quietMs`, or marked first `maxWaitMs` ago (a period being filled without pause).
   */
  async dirty(em: EntityManager, limit: number, wait: ManifestWait = NO_WAIT): Promise<DirtyGroupPeriod[]> {
    const rows: { group_id: string; period_start: Date; period_minutes: number; seqs: string[] }[] = await em.query(
      `SELECT group_id, period_start, min(period_minutes)::int AS period_minutes, array_agg(batch_seq::text) AS seqs
       FROM manifest_dirty GROUP BY group_id, period_start
       HAVING max(marked_at) <= now() - make_interval(secs => $2::float8 / 1000) OR min(marked_at) <= now() - make_interval(secs => $3::float8 / 1000)
       ORDER BY period_start, group_id LIMIT $1`,
      [limit, wait.quietMs, wait.maxWaitMs],
    );
    return rows.map((row) => ({ groupId: row.group_id, periodStart: row.period_start, periodMinutes: row.period_minutes, batchSeqs: row.seqs }));
  }

  /** Removes exactly the dirty rows the computed manifests covered (rows added since stay), in one statement. */
  async clean(em: EntityManager, covered: readonly DirtyGroupPeriod[]): Promise<void> {
    const rows = covered.flatMap((dirty) => dirty.batchSeqs.map((seq) => [dirty.groupId, dirty.periodStart.toISOString(), seq]));
    if (rows.length === 0) return;
    await em.query(
      `DELETE FROM manifest_dirty d USING unnest($1::text[], $2::timestamptz[], $3::bigint[]) AS x(g, p, s)
        WHERE d.group_id = x.g AND d.period_start = x.p AND d.batch_seq = x.s`,
      [rows.map((row) => row[0]), rows.map((row) => row[1]), rows.map((row) => row[2])],
    );
  }

  /** Count and digest of one group-period's accepted values (computeMany for one group). */
  async compute(em: EntityManager, groupId: string, periodStart: Date): Promise<GroupPeriodManifestDigests> {
    return (await this.computeMany(em, [groupId], periodStart)).get(groupId)!;
  }

  /**
   * Count and digest of the accepted values of several groups of one period, overall, per
   * MPO and per batch. One statement per period, not per group-period: the period's values
   * are found by the key's leading `period_start` and the group is a filter, so a statement
   * per group read the whole period once for every group.
   *
   * A group whose every batch left its lines in this process (ManifestSegments) is digested
   * from them without reading its values; the others in SQL (computeInSql).
   */
  async computeMany(em: EntityManager, groupIds: readonly string[], periodStart: Date): Promise<Map<string, GroupPeriodManifestDigests>> {
    const fromLines = this.segments ? await this.fromSegments(em, this.segments, groupIds, periodStart) : new Map<string, GroupPeriodManifestDigests>();
    const rest = groupIds.filter((groupId) => !fromLines.has(groupId));
    const inSql = rest.length > 0 ? await this.computeInSql(em, rest, periodStart) : new Map<string, GroupPeriodManifestDigests>();
    return new Map(groupIds.map((groupId) => [groupId, fromLines.get(groupId) ?? inSql.get(groupId)!]));
  }

  /**
   * The groups of the period whose every batch this process kept the lines of, each segment
   * matching the count and digest its batch's transaction stored in manifest_batches: their
   * MPO and group levels are the digests of those segments in key order (digestOfSegments).
   * Every stored value has its batch's row in manifest_batches (intake writes both in one
   * transaction, a correction marks the rows it moves as unknown, and migration
   * 1796145500000 listed the values stored before), so the segments of the listed batches
   * are all the group's values. A group with a batch unknown, not kept here, or whose
   * batches' meter ranges interleave is left to SQL.
   */
  private async fromSegments(em: EntityManager, segments: ManifestSegments, groupIds: readonly string[], periodStart: Date): Promise<Map<string, GroupPeriodManifestDigests>> {
    const listed: (BatchRow & { group_id: string })[] = await em.query(
      `SELECT m.group_id, m.batch_seq::text AS batch_seq, m.value_count AS n, m.digest, r.mpo, r.batch_id, r.format, r.signature, r.signed_request AS request
         FROM manifest_batches m JOIN raw_batches r ON r.seq = m.batch_seq
        WHERE m.period_start = $2 AND m.group_id = ANY($1::text[])`,
      [groupIds, periodStart],
    );
    const byGroup = new Map<string, BatchRow[]>();
    for (const row of listed) {
      const list = byGroup.get(row.group_id);
      if (list) list.push(row);
      else byGroup.set(row.group_id, [row]);
    }
    const digested = new Map<string, GroupPeriodManifestDigests>();
    for (const [groupId, batches] of byGroup) {
      const rows = digestRowsFromSegments(batches, (batchSeq) => segments.segmentOf(periodStart.getTime(), groupId, batchSeq));
      if (rows) digested.set(groupId, digestsOf(rows));
    }
    return digested;
  }

  /**
   * Count and digest of the accepted values of several groups of one period in SQL.
   * The per-batch level is what intake stored in manifest_batches; SQL sorts the period's
   * values once, per MPO line. A group whose batch level intake could not give (a correction
   * moved values since, or values stored before manifest_batches) is computed all in SQL.
   */
  private async computeInSql(em: EntityManager, groupIds: readonly string[], periodStart: Date): Promise<Map<string, GroupPeriodManifestDigests>> {
    const listed: (DigestRow & { group_id: string })[] = await em.query(
      // One statement, so the batch rows and the MPO lines are of the same committed values.
      // The sort for the grouping is by a number per (group, MPO) line, not by the group and
      // the MPO's address as texts.
      `WITH batches AS (
         SELECT m.group_id, m.batch_seq, m.value_count, m.digest, r.mpo, r.batch_id, r.format, r.signature, r.signed_request,
                dense_rank() OVER (ORDER BY m.group_id, r.mpo) AS line
           FROM manifest_batches m JOIN raw_batches r ON r.seq = m.batch_seq
          WHERE m.period_start = $2 AND m.group_id = ANY($1::text[])),
       lines AS (
         SELECT b.line, CASE WHEN b.line IS NULL THEN i.group_id END AS unlisted, count(*)::int AS n, ${DIGEST_SQL} AS digest
           FROM intervals i LEFT JOIN batches b ON b.group_id = i.group_id AND b.batch_seq = i.batch_seq
          WHERE i.period_start = $2 AND i.group_id = ANY($1::text[])
          GROUP BY 1, 2)
       SELECT b.group_id, b.mpo, NULL AS batch_id, NULL AS format, NULL AS signature, NULL AS request, l.n, l.digest, 1 AS level
         FROM lines l JOIN (SELECT DISTINCT line, group_id, mpo FROM batches) b ON b.line = l.line
       UNION ALL
       SELECT group_id, mpo, batch_id, format, signature, signed_request, value_count, digest, 0 FROM batches
       UNION ALL
       SELECT unlisted, NULL, NULL, NULL, NULL, NULL, n, digest, ${UNLISTED} FROM lines WHERE line IS NULL`,
      [groupIds, periodStart],
    );
    const inSql = new Set<string>();
    for (const row of listed) if (row.level === UNLISTED || (row.level === 0 && row.digest === null)) inSql.add(row.group_id);
    const rows = inSql.size === 0 ? listed : listed.filter((row) => !inSql.has(row.group_id));
    if (inSql.size > 0) rows.push(...(await this.allLevelsInSql(em, [...inSql], periodStart)));
    // The group's own line: a group whose values all come from one MPO has that MPO's count
    // and digest (the same values, in the same order); only groups of several MPOs are
    // aggregated once more (each aggregation sorts every value of the group).
    const mposOf = new Map<string, DigestRow[]>();
    for (const row of rows) {
      if (row.level !== 1) continue;
      const list = mposOf.get(row.group_id);
      if (list) list.push(row);
      else mposOf.set(row.group_id, [row]);
    }
    const shared = [...mposOf].filter(([, mpos]) => mpos.length > 1).map(([groupId]) => groupId);
    for (const [groupId, mpos] of mposOf) {
      if (mpos.length === 1) rows.push({ ...mpos[0], group_id: groupId, mpo: null, level: 3 });
    }
    if (shared.length > 0) {
      const totals: (DigestRow & { group_id: string })[] = await em.query(
        `SELECT i.group_id, NULL AS mpo, NULL AS batch_id, NULL AS format, NULL AS signature, NULL AS request, count(*)::int AS n, ${DIGEST_SQL} AS digest, 3 AS level
           FROM intervals i JOIN raw_batches b ON b.seq = i.batch_seq
          WHERE i.period_start = $2 AND i.group_id = ANY($1::text[])
          GROUP BY i.group_id`,
        [shared, periodStart],
      );
      rows.push(...totals);
    }
    const byGroup = new Map<string, DigestRow[]>();
    for (const row of rows) {
      const list = byGroup.get(row.group_id);
      if (list) list.push(row);
      else byGroup.set(row.group_id, [row]);
    }
    return new Map(groupIds.map((groupId) => [groupId, digestsOf(byGroup.get(groupId) ?? [])]));
  }

  /**
   * Every level in SQL (GROUPING SETS per MPO and per batch under the group, each sorting the
   * group's values): for groups whose batch level manifest_batches cannot give.
   */
  private allLevelsInSql(em: EntityManager, groupIds: readonly string[], periodStart: Date): Promise<(DigestRow & { group_id: string })[]> {
    // Grouped by the batch's seq, its details joined afterwards (the rows sorted for the
    // grouping carry a bigint instead of the batch's id and signature).
    return em.query(
      `SELECT s.group_id, s.mpo, r.batch_id, r.format, r.signature, r.signed_request AS request, s.n, s.digest, s.level
       FROM (SELECT i.group_id, b.mpo, i.batch_seq, count(*)::int AS n, ${DIGEST_SQL} AS digest, GROUPING(b.mpo, i.batch_seq)::int AS level
               FROM intervals i JOIN raw_batches b ON b.seq = i.batch_seq
              WHERE i.period_start = $2 AND i.group_id = ANY($1::text[])
              GROUP BY GROUPING SETS ((i.group_id, b.mpo), (i.group_id, b.mpo, i.batch_seq))) s
       LEFT JOIN raw_batches r ON r.seq = s.batch_seq`,
      [groupIds, periodStart],
    );
  }

  async latest(em: EntityManager, groupId: string, periodStart: Date): Promise<StoredManifest | undefined> {
    return (await this.latestOfGroups(em, [groupId], periodStart)).get(groupId);
  }

  /** The last published manifest of each of these groups in one period (groups without one are absent). */
  async latestOfGroups(em: EntityManager, groupIds: readonly string[], periodStart: Date): Promise<Map<string, StoredManifest>> {
    const rows: { group_id: string; revision: number; value_count: number; digest: string; event_id: string }[] = await em.query(
      `SELECT group_id, revision, value_count, digest, event_id FROM group_period_manifests WHERE period_start = $2 AND group_id = ANY($1::text[])`,
      [groupIds, periodStart],
    );
    return new Map(rows.map((row) => [row.group_id, { revision: row.revision, count: row.value_count, digest: row.digest, eventId: row.event_id }]));
  }

  /** New revisions of group-period manifests, in one statement. */
  async store(em: EntityManager, manifests: readonly ManifestRevision[], now: Date): Promise<void> {
    if (manifests.length === 0) return;
    await em.query(
      `INSERT INTO group_period_manifests (group_id, period_start, period_minutes, revision, value_count, digest, event_id, updated_at)
       SELECT g, p, m, r, n, d, e, $8 FROM unnest($1::text[], $2::timestamptz[], $3::int[], $4::int[], $5::int[], $6::text[], $7::text[]) AS x(g, p, m, r, n, d, e)
       ON CONFLICT (group_id, period_start) DO UPDATE SET revision = EXCLUDED.revision, value_count = EXCLUDED.value_count,
         digest = EXCLUDED.digest, event_id = EXCLUDED.event_id, updated_at = EXCLUDED.updated_at`,
      [
        manifests.map((one) => one.groupId),
        manifests.map((one) => one.periodStart.toISOString()),
        manifests.map((one) => one.periodMinutes),
        manifests.map((one) => one.manifest.revision),
        manifests.map((one) => one.manifest.count),
        manifests.map((one) => one.manifest.digest),
        manifests.map((one) => one.manifest.eventId),
        now,
      ],
    );
  }

  /** Every published manifest of a range of periods (the reconciler's view of meter-ingest). */
  async ofPeriods(em: EntityManager, from: Date, to: Date, limit: number): Promise<{ periodId: string; groupId: string; revision: number; count: number; digest: string }[]> {
    const rows: { group_id: string; period_start: Date; revision: number; value_count: number; digest: string }[] = await em.query(
      `SELECT group_id, period_start, revision, value_count, digest FROM group_period_manifests
       WHERE period_start >= $1 AND period_start < $2 ORDER BY period_start, group_id LIMIT $3`,
      [from, to, limit],
    );
    return rows.map((row) => ({ periodId: periodIdOf(row.period_start), groupId: row.group_id, revision: row.revision, count: row.value_count, digest: row.digest }));
  }

  /**
   * The ids of the measured events that carried a group-period's values (the batches' events
   * for the group, every part: the intake's answer says how many values went to the group).
   */
  async measuredEventIds(em: EntityManager, groupId: string, periodStart: Date): Promise<string[]> {
    const rows: { batch_id: string; answer: { groups?: { groupId: string; intervals: number }[] } }[] = await em.query(
      `SELECT r.batch_id, r.answer FROM raw_batches r
       WHERE r.seq IN (SELECT DISTINCT i.batch_seq FROM intervals i WHERE i.period_start = $2 AND i.group_id = $1)`,
      [groupId, periodStart],
    );
    const ids: string[] = [];
    for (const row of rows) {
      const values = row.answer.groups?.find((group) => group.groupId === groupId)?.intervals ?? 1;
      const parts = Math.max(1, Math.ceil(values / MAX_INTERVALS_PER_EVENT));
      ids.push(deterministicEventId(MeterIntervalsMeasured.type, row.batch_id, groupId));
      for (let part = 1; parts > 1 && part <= parts; part++) ids.push(deterministicEventId(MeterIntervalsMeasured.type, row.batch_id, groupId, `part-${part}`));
    }
    return ids;
  }
}

interface DigestRow {
  readonly mpo: string | null;
  readonly batch_id: string | null;
  readonly format: string | null;
  readonly signature: string | null;
  readonly request: StoredSignedRequest | null;
  readonly n: number;
  /** Null: a manifest_batches row whose values a correction changed. */
  readonly digest: string | null;
  readonly level: number;
}

/** A batch's row of manifest_batches with its raw batch's details. */
interface BatchRow {
  readonly batch_seq: string;
  readonly mpo: string;
  readonly batch_id: string;
  readonly format: string;
  readonly signature: string;
  readonly request: StoredSignedRequest | null;
  readonly n: number | null;
  readonly digest: string | null;
}

/**
 * A group's digest rows (levels 0, 1 and 3) from its batches' segments, or null when a batch
 * is unknown (a correction), has no segment or a different one, or ranges interleave.
 */
function digestRowsFromSegments(batches: readonly BatchRow[], segmentOf: (batchSeq: string) => ValuesSegment | undefined): DigestRow[] | null {
  const byMpo = new Map<string, ValuesSegment[]>();
  const rows: DigestRow[] = [];
  for (const batch of batches) {
    const segment = segmentOf(batch.batch_seq);
    if (batch.digest === null || segment === undefined || segment.count !== batch.n || segment.digest !== `0x${batch.digest}`) return null;
    const list = byMpo.get(batch.mpo);
    if (list) list.push(segment);
    else byMpo.set(batch.mpo, [segment]);
    rows.push({ mpo: batch.mpo, batch_id: batch.batch_id, format: batch.format, signature: batch.signature, request: batch.request, n: segment.count, digest: batch.digest, level: 0 });
  }
  let line: ValuesDigest | null = null;
  for (const [mpo, segments] of byMpo) {
    line = digestOfSegments(segments);
    if (line === null) return null;
    rows.push({ mpo, batch_id: null, format: null, signature: null, request: null, n: line.count, digest: line.digest.slice(2), level: 1 });
  }
  // One MPO: the group's values are its line's.
  const total = byMpo.size === 1 ? line : digestOfSegments([...byMpo.values()].flat());
  if (total === null) return null;
  rows.push({ mpo: null, batch_id: null, format: null, signature: null, request: null, n: total.count, digest: total.digest.slice(2), level: 3 });
  return rows;
}

/** computeMany's level of values in batches without a manifest_batches row (computed in SQL instead). */
const UNLISTED = -1;

/** One group's rows of computeMany (levels: 3 the group, 1 per MPO, 0 per batch) as its digests. */
function digestsOf(rows: readonly DigestRow[]): GroupPeriodManifestDigests {
  const total = rows.find((row) => row.level === 3);
  const bytewise = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const perMpo = rows
    .filter((row) => row.level === 1)
    .map((row) => row.mpo!)
    .sort(bytewise)
    .map((mpo) => {
      const own = rows.find((row) => row.level === 1 && row.mpo === mpo)!;
      const batches = rows
        .filter((row) => row.level === 0 && row.mpo === mpo)
        .sort((a, b) => bytewise(a.batch_id!, b.batch_id!))
        .map((row) => ({ batchId: row.batch_id!, format: row.format!, signature: row.signature!, ...signedRequestOf(row.request), count: row.n, digest: `0x${row.digest}` }));
      return { mpo, count: own.n, digest: `0x${own.digest}`, batches };
    });
  return total ? { count: total.n, digest: `0x${total.digest}`, perMpo } : { count: 0, digest: EMPTY_VALUES_DIGEST, perMpo: [] };
}

export function periodIdOf(periodStart: Date): string {
  return formatInstant(periodStart.getTime());
}

/** raw_batches.signed_request as intake stores it (null for batches stored before signed requests). */
interface StoredSignedRequest {
  readonly method: string;
  readonly path: string;
  readonly nonce: string;
  readonly expiry: string;
  readonly chainId: string;
  readonly verifyingContract: string;
}

/** The manifest's `request` of a batch: what was signed besides the batchId (= nonce = body digest). */
function signedRequestOf(stored: StoredSignedRequest | null): { request?: SignedBatchRequest } {
  if (!stored) return {};
  const { method, path, expiry, chainId, verifyingContract } = stored;
  return { request: { method, path, expiry, chainId, verifyingContract } };
}
