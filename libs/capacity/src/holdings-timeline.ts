import { HolderId, PlantId } from './ids';

/**
 * The holdings read model: one row per (plant, holder) and validity interval
 * [validFrom, validTo), validTo null while open. A balance change closes the open row at the
 * change's instant and opens a new one, so the holdings at any past instant stay readable.
 */
export interface HoldingVersion {
  readonly plantId: PlantId;
  readonly holderId: HolderId;
  readonly sharesW: bigint;
  /** Epoch ms, inclusive. */
  readonly validFromMs: number;
  /** Epoch ms, exclusive; null while the row is current. */
  readonly validToMs: number | null;
}

/** The rows valid at `instantMs`. Allocation for a period reads them at the period's start. */
export function holdingsValidAt(rows: Iterable<HoldingVersion>, instantMs: number): HoldingVersion[] {
  const valid: HoldingVersion[] = [];
  for (const row of rows) {
    if (row.validFromMs <= instantMs && (row.validToMs === null || instantMs < row.validToMs) && row.sharesW > 0n) valid.push(row);
  }
  return valid;
}

/**
 * Applies new balances effective at `atMs`: closes each holder's open row and opens a new
 * one (none when the new balance is zero). Returns the whole new list; rows are never edited
 * except for setting validTo on the open row.
 */
export function applyBalanceChanges(
  rows: readonly HoldingVersion[],
  plantId: PlantId,
  changes: ReadonlyArray<readonly [HolderId, bigint]>,
  atMs: number,
): HoldingVersion[] {
  const changed = new Map(changes);
  const next = rows.map((row) =>
    row.plantId === plantId && row.validToMs === null && changed.has(row.holderId) ? { ...row, validToMs: atMs } : row,
  );
  for (const [holderId, sharesW] of changed) {
    if (sharesW > 0n) next.push({ plantId, holderId, sharesW, validFromMs: atMs, validToMs: null });
  }
  return next;
}
