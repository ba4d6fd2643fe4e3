import { Direction, ValuesDigest, ValuesDigester, WattHours, compareManifestKeys } from '@gridledger/domain';
import { ExpectedMeter, MeterValue, meterKey } from './meter-value';

/** What a row holds: no value yet, a measured value, or a substitute made at the deadline. */
export const NO_VALUE = 0;
export const MEASURED = 1;
export const SUBSTITUTED = 2;

/**
 * The meters of one group-period as columns: one row per (meter, direction) that the registry
 * expects, that has a value, or both. Columns instead of a Map of objects, so a period of a
 * million meters loads, nets and hashes without a million objects and keys. Immutable: the
 * decider's `evolve` builds new columns, never writes into these.
 */
export interface MeterRows {
  readonly meterIds: readonly string[];
  /** 1 production (feed-in), 0 consumption (feed-out), as in the Merkle leaf. */
  readonly directions: Uint8Array;
  /** 1 when the registry expects the meter in the group at the period start. */
  readonly expected: Uint8Array;
  /** NO_VALUE, MEASURED or SUBSTITUTED. */
  readonly kinds: Uint8Array;
  /** Wh where the row has a value (0 otherwise); energies are bounded by MAX_ABS_WH, so uint64 holds them. */
  readonly energies: BigUint64Array;
}

/** The rows with a value, as the Merkle tree (and the worker threads that build it) take them. */
export interface LeafColumns {
  readonly meterIds: readonly string[];
  readonly directions: Uint8Array;
  readonly energies: BigUint64Array;
}

export function directionCode(direction: Direction): 0 | 1 {
  return direction === 'production' ? 1 : 0;
}

export function directionOf(code: number): Direction {
  return code === 1 ? 'production' : 'consumption';
}

/** Appends rows one by one (a store loading a period, or evolve adding meters). */
export class MeterRowsBuilder {
  private meterIds: string[] = [];
  private directions: Uint8Array;
  private expected: Uint8Array;
  private kinds: Uint8Array;
  private energies: BigUint64Array;
  private length = 0;

  constructor(capacity = 16) {
    const size = Math.max(1, capacity);
    this.directions = new Uint8Array(size);
    this.expected = new Uint8Array(size);
    this.kinds = new Uint8Array(size);
    this.energies = new BigUint64Array(size);
  }

  /** A builder that starts with a copy of `rows`. */
  static from(rows: MeterRows, extra = 0): MeterRowsBuilder {
    const builder = new MeterRowsBuilder(rows.meterIds.length + extra);
    builder.meterIds = [...rows.meterIds];
    builder.directions.set(rows.directions);
    builder.expected.set(rows.expected);
    builder.kinds.set(rows.kinds);
    builder.energies.set(rows.energies);
    builder.length = rows.meterIds.length;
    return builder;
  }

  push(meterId: string, direction: 0 | 1, expected: boolean, kind: number, energyWh: WattHours): number {
    if (this.length === this.directions.length) this.grow();
    const row = this.length++;
    this.meterIds.push(meterId);
    this.directions[row] = direction;
    this.expected[row] = expected ? 1 : 0;
    this.kinds[row] = kind;
    this.energies[row] = energyWh;
    return row;
  }

  setExpected(row: number): void {
    this.expected[row] = 1;
  }

  setValue(row: number, value: MeterValue): void {
    this.kinds[row] = value.substituted ? SUBSTITUTED : MEASURED;
    this.energies[row] = value.energyWh;
  }

  /** The rows so far; the builder must not be used afterwards. */
  build(): MeterRows {
    const exact = <T extends Uint8Array | BigUint64Array>(column: T): T => (column.length === this.length ? column : (column.slice(0, this.length) as T));
    return { meterIds: this.meterIds, directions: exact(this.directions), expected: exact(this.expected), kinds: exact(this.kinds), energies: exact(this.energies) };
  }

  private grow(): void {
    const size = this.directions.length * 2;
    const widen = (column: Uint8Array): Uint8Array => {
      const wider = new Uint8Array(size);
      wider.set(column);
      return wider;
    };
    this.directions = widen(this.directions);
    this.expected = widen(this.expected);
    this.kinds = widen(this.kinds);
    const energies = new BigUint64Array(size);
    energies.set(this.energies);
    this.energies = energies;
  }
}

export const EMPTY_METER_ROWS: MeterRows = new MeterRowsBuilder(1).build();

/** Row index by meterKey, built once per (immutable) rows object and only when a lookup needs it. */
const indexes = new WeakMap<MeterRows, ReadonlyMap<string, number>>();

export function rowIndexOf(rows: MeterRows): ReadonlyMap<string, number> {
  let index = indexes.get(rows);
  if (!index) {
    const built = new Map<string, number>();
    for (let row = 0; row < rows.meterIds.length; row++) built.set(meterKey({ meterId: rows.meterIds[row], direction: directionOf(rows.directions[row]) }), row);
    indexes.set(rows, built);
    index = built;
  }
  return index;
}

/** The value a meter has in the period, if any. */
export function valueOf(rows: MeterRows, key: string): MeterValue | undefined {
  const row = rowIndexOf(rows).get(key);
  if (row === undefined || rows.kinds[row] === NO_VALUE) return undefined;
  return { meterId: rows.meterIds[row], direction: directionOf(rows.directions[row]), energyWh: rows.energies[row], substituted: rows.kinds[row] === SUBSTITUTED };
}

/** The rows with `meters` expected too (new meters appended). */
export function withExpected(rows: MeterRows, meters: readonly ExpectedMeter[]): MeterRows {
  const index = rowIndexOf(rows);
  const builder = MeterRowsBuilder.from(rows, meters.length);
  const added = new Map<string, number>();
  for (const meter of meters) {
    const key = meterKey(meter);
    const row = index.get(key) ?? added.get(key);
    if (row !== undefined) builder.setExpected(row);
    else added.set(key, builder.push(meter.meterId, directionCode(meter.direction), true, NO_VALUE, 0n));
  }
  return builder.build();
}

/** The rows with `values` set (replacing what a meter had; new meters appended, not expected). */
export function withValues(rows: MeterRows, values: readonly MeterValue[]): MeterRows {
  if (values.length === 0) return rows;
  const index = rowIndexOf(rows);
  const builder = MeterRowsBuilder.from(rows, values.length);
  const added = new Map<string, number>();
  for (const value of values) {
    const key = meterKey(value);
    const row = index.get(key) ?? added.get(key);
    if (row !== undefined) builder.setValue(row, value);
    else added.set(key, builder.push(value.meterId, directionCode(value.direction), false, value.substituted ? SUBSTITUTED : MEASURED, value.energyWh));
  }
  return builder.build();
}

/** Expected meters without a value, in row order. */
export function missingMetersOf(rows: MeterRows): ExpectedMeter[] {
  const missing: ExpectedMeter[] = [];
  for (let row = 0; row < rows.meterIds.length; row++) {
    if (rows.expected[row] === 1 && rows.kinds[row] === NO_VALUE) missing.push({ meterId: rows.meterIds[row], direction: directionOf(rows.directions[row]) });
  }
  return missing;
}

/** Every row with a value, as columns for the Merkle tree. */
export function leafColumnsOf(rows: MeterRows): LeafColumns {
  let count = 0;
  for (let row = 0; row < rows.kinds.length; row++) if (rows.kinds[row] !== NO_VALUE) count++;
  if (count === rows.kinds.length) return { meterIds: rows.meterIds, directions: rows.directions, energies: rows.energies };
  const meterIds: string[] = new Array(count);
  const directions = new Uint8Array(count);
  const energies = new BigUint64Array(count);
  let at = 0;
  for (let row = 0; row < rows.kinds.length; row++) {
    if (rows.kinds[row] === NO_VALUE) continue;
    meterIds[at] = rows.meterIds[row];
    directions[at] = rows.directions[row];
    energies[at] = rows.energies[row];
    at++;
  }
  return { meterIds, directions, energies };
}

/**
 * Count and digest of the measured rows, exactly as `valuesDigest` (@gridledger/domain) over
 * the same values: balancing's side of the comparison with meter-ingest's manifest
 * (substitutes are not what meter-ingest sent). Computed from the rows the settlement already
 * loaded instead of a second aggregate over the table. Rows in the canonical order (meterId,
 * then direction, bytewise, as the store loads them) hash in one pass; others are sorted first.
 */
export function measuredValuesDigest(rows: MeterRows): ValuesDigest {
  const measured: number[] = [];
  let sorted = true;
  for (let row = 0; row < rows.kinds.length; row++) {
    if (rows.kinds[row] !== MEASURED) continue;
    if (sorted && measured.length > 0 && compareRows(rows, measured[measured.length - 1], row) > 0) sorted = false;
    measured.push(row);
  }
  if (!sorted) measured.sort((a, b) => compareRows(rows, a, b));
  const digester = new ValuesDigester();
  for (const row of measured) digester.add(rows.meterIds[row], directionOf(rows.directions[row]), rows.energies[row]);
  return digester.result();
}

/** The manifest's canonical order on two rows, without building objects. */
function compareRows(rows: MeterRows, a: number, b: number): number {
  return compareManifestKeys(rows.meterIds[a], directionOf(rows.directions[a]), rows.meterIds[b], directionOf(rows.directions[b]));
}

/** Values of the rows that have one (for callers that want objects, e.g. specs and proofs). */
export function meterValuesOf(rows: MeterRows): MeterValue[] {
  const values: MeterValue[] = [];
  for (let row = 0; row < rows.meterIds.length; row++) {
    if (rows.kinds[row] === NO_VALUE) continue;
    values.push({ meterId: rows.meterIds[row], direction: directionOf(rows.directions[row]), energyWh: rows.energies[row], substituted: rows.kinds[row] === SUBSTITUTED });
  }
  return values;
}
