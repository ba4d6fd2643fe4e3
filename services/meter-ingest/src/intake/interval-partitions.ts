import type { DataSource } from 'typeorm';

const DAY_MS = 86_400_000;

/** `intervals_d20260329`: the partition of `intervals` holding the UTC day that starts at `dayMs`. */
export function partitionName(dayMs: number): string {
  return `intervals_d${new Date(dayMs).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

export function dayOf(instantMs: number): number {
  return Math.floor(instantMs / DAY_MS) * DAY_MS;
}

/**
 * Daily partitions of `intervals` (migration PartitionIntervalsByDay), created ahead: at
 * start and every few hours for the next days, and for any other day the moment a batch
 * names it, each in its own short statement before the batch's transaction (creating a
 * partition locks the parent briefly; inside an intake transaction it would hold that lock
 * until commit and could deadlock two batches). Days seen are remembered, so a batch costs
 * no statement unless it opens a new day. A value whose day has no partition yet (a register
 * split reaching far back) lands in `intervals_default`, which keeps it all the same.
 */
export class IntervalPartitions {
  private readonly known = new Set<number>();

  constructor(private readonly dataSource: DataSource) {}

  /** Partitions for the days of these instants (few distinct ones per batch); returns the days. */
  async ensureFor(instantsMs: Iterable<number>): Promise<Set<number>> {
    const days = new Set<number>();
    let last = Number.NaN;
    for (const instant of instantsMs) {
      // Values of a batch mostly share their period: one look per run of them.
      if (instant === last) continue;
      last = instant;
      days.add(dayOf(instant));
    }
    for (const day of days) if (!this.known.has(day)) await this.create(day);
    return days;
  }

  /** Today's partition and the next `daysAhead`, at `nowMs`. */
  async ensureAhead(nowMs: number, daysAhead: number): Promise<void> {
    const today = dayOf(nowMs);
    for (let day = 0; day <= daysAhead; day += 1) if (!this.known.has(today + day * DAY_MS)) await this.create(today + day * DAY_MS);
  }

  private async create(dayMs: number): Promise<void> {
    const from = new Date(dayMs).toISOString();
    const to = new Date(dayMs + DAY_MS).toISOString();
    try {
      await this.dataSource.query(`CREATE TABLE IF NOT EXISTS "${partitionName(dayMs)}" PARTITION OF intervals FOR VALUES FROM ('${from}') TO ('${to}')`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      // 42P07 / 23505: another replica created it at the same moment. 23514: the default
      // partition already holds values of that day (they stay there; see docs/partitions.md).
      if (code !== '42P07' && code !== '23505' && code !== '23514') throw error;
    }
    if (this.known.size > 10_000) this.known.clear();
    this.known.add(dayMs);
  }
}
