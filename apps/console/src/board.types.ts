/**
 * The market board as the console server sends it to the browser (GET /api/market). Shared
 * by the server (which folds the streams into it) and the web app (which draws it): plain
 * JSON, energy in Wh as decimal strings, as on every gridledger wire.
 */

/** A group-period's stage, in the order a period goes through them; `corrected`: a version > 1 not yet finalized. */
export const CELL_STATES = ['open', 'closed', 'settled', 'committed', 'confirmed', 'finalized', 'corrected'] as const;
export type CellState = (typeof CELL_STATES)[number];

export interface VersionView {
  readonly version: number;
  readonly trigger: string;
  readonly feedInWh: string;
  readonly feedOutWh: string;
  readonly scheduleNetWh: string;
  readonly imbalanceWh: string;
  readonly imbalanceAmount: string | null;
  readonly meterCount: number;
  readonly substitutedCount: number;
  readonly merkleRoot: string;
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly confirmed: boolean;
}

export interface CellView {
  readonly groupId: string;
  readonly periodId: string;
  readonly state: CellState;
  /** Interval values received for the group-period (from the METER stream). */
  readonly valuesReceived: number;
  readonly latestVersion: number | null;
  readonly finalizedVersion: number | null;
  readonly versions: readonly VersionView[];
}

export interface PlantOutputView {
  readonly plantId: string;
  readonly groupId: string;
  readonly outputWh: string;
  readonly allocatedToHoldersWh: string;
  readonly operatorWh: string;
}

export interface HolderAllocationView {
  readonly holderId: string;
  readonly plantId: string;
  readonly sharesW: string;
  readonly allocatedWh: string;
}

export interface CapacityPeriodView {
  readonly periodId: string;
  readonly version: number;
  readonly plants: readonly PlantOutputView[];
  readonly allocations: readonly HolderAllocationView[];
}

export interface BoardSnapshot {
  /** Grows with every change; the live feed (GET /api/events) sends it. */
  readonly revision: number;
  readonly groups: readonly string[];
  readonly periods: readonly string[];
  readonly cells: readonly CellView[];
  readonly capacity: readonly CapacityPeriodView[];
  readonly deadLettered: number;
}
