import type { DataSource, EntityManager } from 'typeorm';
import { Keccak256, PeriodLength, periodEndMs } from '@gridledger/domain';
import { buildPeriodTree, groupPeriodGate, meterKey, periodStartSeconds, substituteValue, versionSaltKey } from '@gridledger/settlement';
import { GroupPeriodKey } from '../persistence/group-periods.repository';
import { insertMeterValues, loadMeterRows, previousDayValues, versionValues } from '../persistence/meter-values.repository';
import { StoredVersion, versionsOf } from '../persistence/versions.repository';

export interface RestoredGroupPeriod {
  readonly key: GroupPeriodKey;
  /** Versions whose values were found again (their watermark set). */
  readonly restored: number[];
  /** Versions whose values are not among the replayed ones (watermark stays -1, no proofs). */
  readonly notRestored: number[];
}

/**
 * The second half of adopting a settled history (`SettledHistoryAdoption`): once the
 * consumers have caught up with the streams, each adopted group-period gets back what its
 * versions' events do not carry. The latest version's substitutes are made again, as the gate
 * made them (previous day's value, else 0), when exactly as many meters are still missing as
 * it substituted; then each version's value watermark is the first point in the replayed
 * history (a batch boundary) whose values have the version's totals and give its Merkle root
 * under its salts. Then the group-period joins the settlement queue again: values that differ
 * from the latest version make a correction, as they would have without the rebuild.
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
          `SELECT group_id, period_id, period_length, period_start, gate_deadline FROM group_periods WHERE restore_pending ORDER BY period_start, group_id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        )) as { group_id: string; period_id: string; period_length: PeriodLength; period_start: Date; gate_deadline: Date }[];
        if (!row) return undefined;
        return this.restore(em, { groupId: row.group_id, periodId: row.period_id }, row.period_length, row.period_start, row.gate_deadline);
      });
      if (!restored) return done;
      done.push(restored);
    }
  }

  private async restore(em: EntityManager, key: GroupPeriodKey, periodLength: PeriodLength, periodStart: Date, gateDeadline: Date): Promise<RestoredGroupPeriod> {
    const versions = await versionsOf(em, key.groupId, key.periodId);
    const latest = versions.at(-1);
    if (latest && latest.substitutedCount > 0) await this.substituteAgain(em, key, periodLength, periodStart, gateDeadline, latest.substitutedCount);
    const candidates = ((await em.query(
      `SELECT max(seq) AS seq FROM meter_values WHERE group_id = $1 AND period_id = $2 GROUP BY source_event_id ORDER BY 1`,
      [key.groupId, key.periodId],
    )) as { seq: string }[]).map((row) => BigInt(row.seq));
    const restored: number[] = [];
    const notRestored: number[] = [];
    let from = 0;
    for (const version of versions) {
      // Versions are in history order, so each one's values come at or after the previous one's.
      const found = await this.findWatermark(em, key, version, candidates, from);
      if (found === undefined) {
        notRestored.push(version.version);
        continue;
      }
      from = found;
      restored.push(version.version);
      await em.query(`UPDATE period_versions SET value_watermark = $4 WHERE group_id = $1 AND period_id = $2 AND version = $3`, [key.groupId, key.periodId, version.version, candidates[found].toString()]);
    }
    await em.query(`UPDATE group_periods SET restore_pending = false, dirty = true WHERE group_id = $1 AND period_id = $2`, [key.groupId, key.periodId]);
    return { key, restored, notRestored };
  }

  private async substituteAgain(em: EntityManager, key: GroupPeriodKey, periodLength: PeriodLength, periodStart: Date, gateDeadline: Date, substitutedCount: number): Promise<void> {
    const loaded = await loadMeterRows(em, key, periodStart);
    const context = { ...key, periodLength, gateDeadlineMs: gateDeadline.getTime() - periodEndMs(key.periodId, periodLength) };
    const gate = groupPeriodGate(context, loaded.meters, Number.MAX_SAFE_INTEGER);
    const missing = gate.kind === 'close' && gate.reason === 'deadline' ? gate.missing : [];
    // Not the same meters missing as when it was settled: no substitutes; the settler decides (a correction).
    if (missing.length !== substitutedCount) return;
    const previousDay = await previousDayValues(em, key, periodStart, missing);
    await insertMeterValues(em, key, missing.map((meter) => ({ value: substituteValue(meter, previousDay.get(meterKey(meter))) })), `substitute:${key.groupId}:${key.periodId}`);
  }

  private async findWatermark(em: EntityManager, key: GroupPeriodKey, version: StoredVersion, candidates: readonly bigint[], from: number): Promise<number | undefined> {
    const versionKey = versionSaltKey(this.leafSaltKey, key.groupId, periodStartSeconds(key.periodId, version.periodLength), version.version);
    for (let i = from; i < candidates.length; i++) {
      const values = await versionValues(em, key, candidates[i]);
      let feedIn = 0n;
      let feedOut = 0n;
      let substituted = 0;
      for (const value of values) {
        if (value.direction === 'production') feedIn += value.energyWh;
        else feedOut += value.energyWh;
        if (value.substituted) substituted++;
      }
      // The cheap test first; the root only for a point with the version's totals.
      if (feedIn !== version.feedInWh || feedOut !== version.feedOutWh || substituted !== version.substitutedCount) continue;
      const tree = buildPeriodTree(values, key.periodId, version.periodLength, versionKey, this.keccak);
      if (tree?.root === version.merkleRoot) return i;
    }
    return undefined;
  }
}
