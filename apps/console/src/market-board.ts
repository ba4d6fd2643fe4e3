import {
  BalancingPeriodSettled,
  CapacityAllocationComputed,
  ChainPeriodCommitted,
  ChainPeriodConfirmed,
  ChainPeriodFinalized,
  MessageDeadLettered,
  MeterIntervalsMeasured,
  type EventOf,
} from '@gridledger/events';
import type { BoardSnapshot, CapacityPeriodView, CellState, CellView, VersionView } from './board.types';

/**
 * The market day as the streams tell it, folded from the events any participant may read:
 * values measured (METER), versions settled (BALANCING), commits, confirmations and
 * finalizations (CHAIN), allocations (CAPACITY) and dead letters (DEADLETTER). Pure: the
 * server feeds it envelopes in stream order and asks for a snapshot; replaying the streams
 * from the start rebuilds it, so the console keeps no state of its own.
 */
interface MutableVersion {
  settled: EventOf<typeof BalancingPeriodSettled>['data'];
  txHash: string | null;
  blockNumber: number | null;
  confirmed: boolean;
}

interface MutableCell {
  readonly groupId: string;
  readonly periodId: string;
  periodLengthMs: number;
  valuesReceived: number;
  readonly versions: Map<number, MutableVersion>;
  /** Commits seen before their settled version (streams are read side by side). */
  readonly early: Map<number, { txHash: string; blockNumber: number; confirmed: boolean }>;
  finalizedVersion: number | null;
}

type Allocation = EventOf<typeof CapacityAllocationComputed>['data'];

const PERIOD_MS = { PT15M: 15 * 60_000, PT60M: 60 * 60_000 } as const;

export class MarketBoard {
  private readonly cells = new Map<string, MutableCell>();
  private readonly allocations = new Map<string, { version: number; parts: Map<number, Allocation> }>();
  private readonly deadLetterIds = new Set<string>();
  private revisionCounter = 0;

  get revision(): number {
    return this.revisionCounter;
  }

  /** Applies one envelope as read from a stream; returns whether the board changed. Unknown types are ignored. */
  apply(envelope: unknown): boolean {
    const type = typeof envelope === 'object' && envelope !== null ? (envelope as { type?: unknown }).type : undefined;
    const changed = this.applyTyped(type, envelope);
    if (changed) this.revisionCounter += 1;
    return changed;
  }

  private applyTyped(type: unknown, envelope: unknown): boolean {
    switch (type) {
      case MeterIntervalsMeasured.type: {
        const { data } = MeterIntervalsMeasured.parse(envelope);
        for (const series of data.series) this.cell(data.groupId, series.periodId, PERIOD_MS[data.periodLength]).valuesReceived += series.meterIds.length;
        return true;
      }
      case BalancingPeriodSettled.type: {
        const { data } = BalancingPeriodSettled.parse(envelope);
        const cell = this.cell(data.groupId, data.periodId, PERIOD_MS[data.periodLength]);
        const early = cell.early.get(data.version);
        cell.versions.set(data.version, { settled: data, txHash: early?.txHash ?? null, blockNumber: early?.blockNumber ?? null, confirmed: early?.confirmed ?? false });
        return true;
      }
      case ChainPeriodCommitted.type:
      case ChainPeriodConfirmed.type: {
        const confirmed = type === ChainPeriodConfirmed.type;
        const { data } = confirmed ? ChainPeriodConfirmed.parse(envelope) : ChainPeriodCommitted.parse(envelope);
        const cell = this.cell(data.groupId, data.periodId);
        const version = cell.versions.get(data.version);
        if (version) {
          version.txHash = data.txHash;
          version.blockNumber = data.blockNumber;
          version.confirmed ||= confirmed;
        } else {
          const known = cell.early.get(data.version);
          cell.early.set(data.version, { txHash: data.txHash, blockNumber: data.blockNumber, confirmed: confirmed || (known?.confirmed ?? false) });
        }
        return true;
      }
      case ChainPeriodFinalized.type: {
        const { data } = ChainPeriodFinalized.parse(envelope);
        for (const group of data.groups) {
          const cell = this.cell(group.groupId, data.periodId);
          cell.finalizedVersion = Math.max(cell.finalizedVersion ?? 0, group.version);
        }
        return true;
      }
      case CapacityAllocationComputed.type: {
        const { data } = CapacityAllocationComputed.parse(envelope);
        const known = this.allocations.get(data.periodId);
        if (known && known.version > data.version) return false;
        if (!known || known.version < data.version) this.allocations.set(data.periodId, { version: data.version, parts: new Map([[data.part, data]]) });
        else known.parts.set(data.part, data);
        return true;
      }
      case MessageDeadLettered.type: {
        const letter = MessageDeadLettered.parse(envelope);
        const size = this.deadLetterIds.size;
        this.deadLetterIds.add(letter.id);
        return this.deadLetterIds.size !== size;
      }
      default:
        return false;
    }
  }

  private cell(groupId: string, periodId: string, periodLengthMs?: number): MutableCell {
    const key = `${groupId}|${periodId}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { groupId, periodId, periodLengthMs: periodLengthMs ?? PERIOD_MS.PT15M, valuesReceived: 0, versions: new Map(), early: new Map(), finalizedVersion: null };
      this.cells.set(key, cell);
    } else if (periodLengthMs) {
      cell.periodLengthMs = periodLengthMs;
    }
    return cell;
  }

  snapshot(nowMs: number): BoardSnapshot {
    const cells = [...this.cells.values()].map((cell) => cellView(cell, nowMs));
    const groups = [...new Set(cells.map((c) => c.groupId))].sort();
    const periods = [...new Set(cells.map((c) => c.periodId))].sort();
    const capacity: CapacityPeriodView[] = [...this.allocations.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([periodId, { version, parts }]) => {
        const all = [...parts.values()];
        return {
          periodId,
          version,
          plants: all.flatMap((part) => part.plants.map((p) => ({ plantId: p.plantId, groupId: p.groupId, outputWh: p.outputWh, allocatedToHoldersWh: p.allocatedToHoldersWh, operatorWh: p.operatorWh }))),
          allocations: all.flatMap((part) => part.holders.flatMap((h) => h.plants.map((p) => ({ holderId: h.holderId, plantId: p.plantId, sharesW: p.sharesW, allocatedWh: p.allocatedWh })))),
        };
      });
    return { revision: this.revisionCounter, groups, periods, cells: cells.sort((a, b) => a.periodId.localeCompare(b.periodId) || a.groupId.localeCompare(b.groupId)), capacity, deadLettered: this.deadLetterIds.size };
  }
}

function cellView(cell: MutableCell, nowMs: number): CellView {
  const versions: VersionView[] = [...cell.versions.values()]
    .sort((a, b) => a.settled.version - b.settled.version)
    .map(({ settled, txHash, blockNumber, confirmed }) => ({
      version: settled.version,
      trigger: settled.trigger,
      feedInWh: settled.feedInWh,
      feedOutWh: settled.feedOutWh,
      scheduleNetWh: settled.scheduleNetWh,
      imbalanceWh: settled.imbalanceWh,
      imbalanceAmount: settled.imbalanceAmount,
      meterCount: settled.meterCount,
      substitutedCount: settled.substitutedCount,
      merkleRoot: settled.merkleRoot,
      txHash,
      blockNumber,
      confirmed,
    }));
  const latest = versions.at(-1);
  return {
    groupId: cell.groupId,
    periodId: cell.periodId,
    state: stateOf(cell, latest, nowMs),
    valuesReceived: cell.valuesReceived,
    latestVersion: latest?.version ?? null,
    finalizedVersion: cell.finalizedVersion,
    versions,
  };
}

/**
 * The stage of the group-period's latest version. `closed`: the period has ended and values
 * came in, settlement pending (balancing closes the gate on completeness or its deadline).
 */
export function stateOf(cell: Pick<MutableCell, 'periodId' | 'periodLengthMs' | 'finalizedVersion'>, latest: VersionView | undefined, nowMs: number): CellState {
  if (!latest) return Date.parse(cell.periodId) + cell.periodLengthMs <= nowMs ? 'closed' : 'open';
  if (cell.finalizedVersion !== null && cell.finalizedVersion >= latest.version) return 'finalized';
  if (latest.version > 1) return 'corrected';
  if (latest.confirmed) return 'confirmed';
  if (latest.txHash) return 'committed';
  return 'settled';
}
