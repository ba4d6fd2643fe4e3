import type { DataSource, EntityManager } from 'typeorm';
import { Direction, Keccak256 } from '@gridledger/domain';
import { ExpectedMeter, MeterValue, buildPeriodTree, meterKey, periodStartSeconds, substituteValue, versionSaltKey } from '@gridledger/settlement';
import { GroupPeriodKey } from '../persistence/group-periods.repository';
import { insertMeterValues, previousDayValues } from '../persistence/meter-values.repository';
import { StoredVersion, versionsOf } from '../persistence/versions.repository';

export interface RestoredGroupPeriod {
  readonly key: GroupPeriodKey;
  /** Versions whose values were found again (their watermark set). */
  readonly restored: number[];
  /** Versions whose values are not among the replayed ones (watermark stays -1, no proofs). */
  readonly notRestored: number[];
}

interface HistoryRow {
  readonly seq: bigint;
  readonly replacedSeq: bigint | null;
  readonly value: MeterValue;
  readonly sourceEventId: string;
}

/**
 * The second half of adopting a settled history (`SettledHistoryAdoption`): once the
 * consumers have caught up with the streams, each adopted group-period gets back the values
 * each version saw, which its event does not carry. In version order, a version's values are
 * the replayed values as of a batch boundary, plus, if it held substitutes, the missing
 * expected meters substituted again as the gate did (previous day's value, else 0): the first
 * boundary whose values have the version's totals and give its Merkle root under its salts.
 * The group-period's value history is then written again in version order (each version's
 * values, then the replayed values that came after the last one), so that every found
 * version has a watermark inside it and its proofs come from exactly its values. Then the
 * group-period joins the settlement queue again: values that differ from the latest version
 * make a correction, as they would have without the rebuild.
 */
export class AdoptedVersionsRestorer {
  constructor(
    private readonly dataSource: DataSource,
    private readonly keccak: Keccak256,
    private readonly leafSaltKey: Uint8Array,
  ) {}

  /** Restores every pending group-period (each in its own transaction); replicas share them by SKIP LOCKED. */
  async restorePending(): Promise<RestoredGroupPeriod[]> {
    const done: RestoredGroupPeriod[] = [];
    for (;;) {
      const restored = await this.dataSource.transaction(async (em) => {
        const [row] = (await em.query(
          `SELECT group_id, period_id, period_start FROM group_periods WHERE restore_pending ORDER BY period_start, group_id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        )) as { group_id: string; period_id: string; period_start: Date }[];
        if (!row) return undefined;
        return this.restore(em, { groupId: row.group_id, periodId: row.period_id }, row.period_start);
      });
      if (!restored) return done;
      done.push(restored);
    }
  }

  private async restore(em: EntityManager, key: GroupPeriodKey, periodStart: Date): Promise<RestoredGroupPeriod> {
    const versions = await versionsOf(em, key.groupId, key.periodId);
    const history = await this.history(em, key);
    const expected = await this.expectedMeters(em, key, periodStart);
    const previousDay = versions.some((v) => v.substitutedCount > 0) ? await previousDayValues(em, key, periodStart, expected) : new Map<string, bigint>();
    const boundaries = [...new Map(history.map((row) => [row.sourceEventId, row.seq])).values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const found: { version: StoredVersion; values: MeterValue[] }[] = [];
    const notRestored: number[] = [];
    let from = 0;
    for (const version of versions) {
      // Versions are in history order, so each one's values come at or after the previous one's.
      const match = this.findValues(key, version, history, boundaries, from, expected, previousDay);
      if (!match) {
        notRestored.push(version.version);
        continue;
      }
      from = match.boundary;
      found.push({ version, values: match.values });
    }
    await this.rewriteHistory(em, key, history, found);
    await em.query(`UPDATE group_periods SET restore_pending = false, dirty = true WHERE group_id = $1 AND period_id = $2`, [key.groupId, key.periodId]);
    return { key, restored: found.map((f) => f.version.version), notRestored };
  }

  private findValues(
    key: GroupPeriodKey,
    version: StoredVersion,
    history: readonly HistoryRow[],
    boundaries: readonly bigint[],
    from: number,
    expected: readonly ExpectedMeter[],
    previousDay: ReadonlyMap<string, bigint>,
  ): { boundary: number; values: MeterValue[] } | undefined {
    const versionKey = versionSaltKey(this.leafSaltKey, key.groupId, periodStartSeconds(key.periodId, version.periodLength), version.version);
    for (let i = from; i < boundaries.length; i++) {
      const watermark = boundaries[i];
      const real = history.filter((row) => !row.value.substituted && row.seq <= watermark && (row.replacedSeq === null || row.replacedSeq > watermark)).map((row) => row.value);
      let values = real;
      if (version.substitutedCount > 0) {
        const present = new Set(real.map(meterKey));
        const missing = expected.filter((meter) => !present.has(meterKey(meter)));
        if (missing.length !== version.substitutedCount) continue;
        values = [...real, ...missing.map((meter) => substituteValue(meter, previousDay.get(meterKey(meter))))];
      }
      let feedIn = 0n;
      let feedOut = 0n;
      for (const value of values) {
        if (value.direction === 'production') feedIn += value.energyWh;
        else feedOut += value.energyWh;
      }
      // The cheap test first; the root only for a point with the version's totals.
      if (feedIn !== version.feedInWh || feedOut !== version.feedOutWh) continue;
      const tree = buildPeriodTree(values, key.periodId, version.periodLength, versionKey, this.keccak);
      if (tree?.root === version.merkleRoot) return { boundary: i, values };
    }
    return undefined;
  }

  /**
   * Writes the group-period's values again: each found version's values in order (only what
   * changed from the one before, replacing it), its watermark the highest seq then; then the
   * replayed values that came after (the current ones). Real values keep their source event.
   */
  private async rewriteHistory(em: EntityManager, key: GroupPeriodKey, history: readonly HistoryRow[], found: readonly { version: StoredVersion; values: MeterValue[] }[]): Promise<void> {
    const sourceOf = new Map(history.map((row) => [`${meterKey(row.value)}|${row.value.energyWh}`, row.sourceEventId]));
    const current = new Map<string, { seq: string; value: MeterValue }>();
    let watermark = 0n;
    const write = async (values: readonly MeterValue[]): Promise<void> => {
      const changed = values.filter((value) => {
        const was = current.get(meterKey(value))?.value;
        return !was || was.energyWh !== value.energyWh || was.substituted !== value.substituted;
      });
      // One insert per source, so each batch stays one boundary of the history.
      const bySource = new Map<string, MeterValue[]>();
      for (const value of changed) {
        const source = value.substituted ? `substitute:${key.groupId}:${key.periodId}` : (sourceOf.get(`${meterKey(value)}|${value.energyWh}`) ?? 'rebuild');
        bySource.set(source, [...(bySource.get(source) ?? []), value]);
      }
      for (const [source, values] of bySource) {
        const written = await insertMeterValues(em, key, values.map((value) => ({ value, replaces: current.get(meterKey(value))?.seq })), source);
        const seqs: { seq: string; meter_id: string; direction: Direction }[] = await em.query(
          `SELECT seq, meter_id, direction FROM meter_values WHERE group_id = $1 AND period_id = $2 AND replaced_seq IS NULL AND source_event_id = $3`,
          [key.groupId, key.periodId, source],
        );
        for (const row of seqs) {
          const value = values.find((v) => v.meterId === row.meter_id && v.direction === row.direction);
          if (value) current.set(meterKey(value), { seq: row.seq, value });
        }
        if (written !== null && written > watermark) watermark = written;
      }
    };
    await em.query(`DELETE FROM meter_values WHERE group_id = $1 AND period_id = $2`, [key.groupId, key.periodId]);
    for (const { version, values } of found) {
      await write(values);
      await em.query(`UPDATE period_versions SET value_watermark = $4 WHERE group_id = $1 AND period_id = $2 AND version = $3`, [key.groupId, key.periodId, version.version, watermark.toString()]);
    }
    // What came after the last version (or everything, when none was found): the current replayed values.
    await write(history.filter((row) => row.replacedSeq === null).map((row) => row.value));
  }

  private async history(em: EntityManager, key: GroupPeriodKey): Promise<HistoryRow[]> {
    const rows: { seq: string; replaced_seq: string | null; meter_id: string; direction: Direction; energy_wh: string; substituted: boolean; source_event_id: string }[] = await em.query(
      `SELECT seq, replaced_seq, meter_id, direction, energy_wh, substituted, source_event_id FROM meter_values WHERE group_id = $1 AND period_id = $2 ORDER BY seq`,
      [key.groupId, key.periodId],
    );
    return rows.map((row) => ({
      seq: BigInt(row.seq),
      replacedSeq: row.replaced_seq === null ? null : BigInt(row.replaced_seq),
      value: { meterId: row.meter_id, direction: row.direction, energyWh: BigInt(row.energy_wh), substituted: row.substituted },
      sourceEventId: row.source_event_id,
    }));
  }

  private async expectedMeters(em: EntityManager, key: GroupPeriodKey, periodStart: Date): Promise<ExpectedMeter[]> {
    const rows: { meter_id: string; direction: Direction }[] = await em.query(
      `SELECT meter_id, direction FROM meter_points WHERE group_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2) ORDER BY meter_id, direction`,
      [key.groupId, periodStart],
    );
    return rows.map((row) => ({ meterId: row.meter_id, direction: row.direction }));
  }
}
