/** What a batch needs of a commit row. */
export interface BatchableCommit {
  readonly groupId: string;
  readonly periodId: string;
  /** Refusals and reverted transactions it has had: such a row goes alone. */
  readonly attempts: number;
}

/**
 * The batching rule: rows ready to send that belong to the same period go in one
 * commitPeriodBatch transaction, at most `max` per transaction; a period with one ready row, a
 * row the chain refused or reverted before, and everything when `max` is 1 go alone (one
 * commitPeriod each). One version per group per batch (the next version waits for the chain
 * anyway). Order is kept.
 */
export function batchesOf<Row extends BatchableCommit>(rows: readonly Row[], max: number): { batches: Row[][]; singles: Row[] } {
  const singles: Row[] = [];
  const byPeriod = new Map<string, Row[]>();
  for (const row of rows) {
    const period = byPeriod.get(row.periodId) ?? [];
    if (max <= 1 || row.attempts > 0 || period.some((other) => other.groupId === row.groupId)) singles.push(row);
    else byPeriod.set(row.periodId, [...period, row]);
  }
  const batches: Row[][] = [];
  for (const period of byPeriod.values()) {
    for (let i = 0; i < period.length; i += max) {
      const chunk = period.slice(i, i + max);
      if (chunk.length > 1) batches.push(chunk);
      else singles.push(...chunk);
    }
  }
  return { batches, singles };
}
