import type { Direction, PeriodLength } from '@gridledger/domain';
import { periodLengthMs } from '@gridledger/domain';

/**
 * What validation needs to know about a meter for the time a value covers: the registry
 * versions of the batch's meters, loaded in one query per batch.
 */
export interface RegistryVersion {
  readonly meterId: string;
  readonly direction: Direction;
  readonly mpo: string;
  readonly groupId: string;
  readonly connectionLimitW: bigint;
  readonly validFromMs: number;
  /** Exclusive; null while open. */
  readonly validToMs: number | null;
  /** True on the last version of a retired meter: its validTo is the retirement. */
  readonly retired: boolean;
}

/** Versions per meter, sorted by validFrom (undefined or empty: not registered). A Map is one. */
export interface RegistryView {
  get(meterId: string): readonly RegistryVersion[] | undefined;
}

export function buildRegistryView(versions: Iterable<RegistryVersion>): Map<string, RegistryVersion[]> {
  const view = new Map<string, RegistryVersion[]>();
  for (const version of versions) {
    const list = view.get(version.meterId);
    if (list) list.push(version);
    else view.set(version.meterId, [version]);
  }
  for (const list of view.values()) list.sort((a, b) => a.validFromMs - b.validFromMs);
  return view;
}

/** The version in force at `instantMs`, or undefined. */
export function versionAt(versions: readonly RegistryVersion[], instantMs: number): RegistryVersion | undefined {
  for (let i = versions.length - 1; i >= 0; i -= 1) {
    const version = versions[i];
    if (version.validFromMs <= instantMs) return version.validToMs === null || instantMs < version.validToMs ? version : undefined;
  }
  return undefined;
}

/**
 * Most energy a connection can carry in one period: limit W × period length, in Wh.
 * Compared exactly: energyWh × 3 600 000 ≤ limitW × periodMs.
 */
export function maxEnergyWh(limitW: bigint, periodLength: PeriodLength): bigint {
  // Floor is exact here: for integer energy, e·3 600 000 > L·T  ⇔  e > ⌊L·T / 3 600 000⌋.
  return (limitW * BigInt(periodLengthMs(periodLength))) / 3_600_000n;
}

export function exceedsConnectionLimit(energyWh: bigint, limitW: bigint, periodLength: PeriodLength): boolean {
  return energyWh * 3_600_000n > limitW * BigInt(periodLengthMs(periodLength));
}
