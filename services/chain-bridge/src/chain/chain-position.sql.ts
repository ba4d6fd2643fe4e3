/**
 * Where a commit or finalization stands on chain (its tx and block), as the period_commit and
 * period_finalization tables both keep it. A status change replaces all three only when it
 * names a txHash (null clears them); otherwise they are kept.
 */
export interface ChainPositionChange {
  txHash?: string | null;
  blockNumber?: number | null;
  blockHash?: string | null;
}

/** SET assignments for tx_hash, block_number and block_hash, reading params $first to $first + 3. */
export function chainPositionAssignments(first: number): string {
  return `tx_hash = CASE WHEN $${first}::boolean THEN $${first + 1} ELSE tx_hash END,
         block_number = CASE WHEN $${first}::boolean THEN $${first + 2}::bigint ELSE block_number END,
         block_hash = CASE WHEN $${first}::boolean THEN $${first + 3} ELSE block_hash END`;
}

/** The four params chainPositionAssignments reads: whether to replace, then the three values. */
export function chainPositionParams(change: ChainPositionChange): [boolean, string | null, number | null, string | null] {
  return [change.txHash !== undefined, change.txHash ?? null, change.blockNumber ?? null, change.blockHash ?? null];
}
