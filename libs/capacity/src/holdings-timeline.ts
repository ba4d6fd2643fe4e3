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
 * A holdings timeline built change by change: each change closes the holder's open row at
 * `atMs` and opens one with the new balance (none when it is zero). Rows are never edited
 * except for setting validTo on the open row. Open rows are indexed, so a rebuild that
 * replays a long history costs one step per change.
 */
export class HoldingsTimeline {
  private readonly list: HoldingVersion[] = [];
  private readonly open = new Map<string, number>();

  constructor(rows: Iterable<HoldingVersion> = []) {
    for (const row of rows) this.push(row);
  }

  apply(plantId: PlantId, changes: ReadonlyArray<readonly [HolderId, bigint]>, atMs: number): this {
    for (const [holderId, sharesW] of changes) {
      const key = JSON.stringify([plantId, holderId]);
      const index = this.open.get(key);
      if (index !== undefined) {
        this.list[index] = { ...this.list[index], validToMs: atMs };
        this.open.delete(key);
      }
      if (sharesW > 0n) this.push({ plantId, holderId, sharesW, validFromMs: atMs, validToMs: null });
    }
    return this;
  }

  rows(): readonly HoldingVersion[] {
    return this.list;
  }

  private push(row: HoldingVersion): void {
    if (row.validToMs === null) this.open.set(JSON.stringify([row.plantId, row.holderId]), this.list.length);
    this.list.push(row);
  }
}
