import { HolderId } from './ids';

/**
 * Double-entry postings. Each entry is the change of one account's balance in cents; the
 * entries of a posting sum to zero exactly, and balances are the sums of entries.
 */
export type PostingKind = 'capacity-fee' | 'residual-purchase' | 'surplus-sale';

export interface LedgerEntry {
  readonly account: string;
  readonly amountCents: bigint;
}

export interface LedgerPosting {
  /** Unique within a period version: kind and holder. */
  readonly key: string;
  readonly kind: PostingKind;
  readonly holderId: HolderId;
  readonly entries: readonly LedgerEntry[];
}

/** The energy-only market's clearing account: counterparty of residual purchases and surplus sales. */
export const MARKET_ACCOUNT = 'market:energy';

export function holderAccount(holderId: HolderId): string {
  return `holder:${holderId}`;
}

export function operatorAccount(operator: string): string {
  return `operator:${operator.toLowerCase()}`;
}

export function postingSum(posting: LedgerPosting): bigint {
  let sum = 0n;
  for (const entry of posting.entries) sum += entry.amountCents;
  return sum;
}

export function assertBalanced(posting: LedgerPosting): void {
  const sum = postingSum(posting);
  if (sum !== 0n) throw new Error(`posting ${posting.key} is off by ${sum} cents`);
}

/** The reversal of a posting (storno): same accounts, negated amounts. */
export function reversalOf(posting: LedgerPosting): LedgerPosting {
  return { ...posting, key: `reversal:${posting.key}`, entries: posting.entries.map((e) => ({ account: e.account, amountCents: -e.amountCents })) };
}

/** Account balances derived from postings. */
export function balancesOf(postings: Iterable<LedgerPosting>): Map<string, bigint> {
  const balances = new Map<string, bigint>();
  for (const posting of postings) {
    for (const entry of posting.entries) balances.set(entry.account, (balances.get(entry.account) ?? 0n) + entry.amountCents);
  }
  return balances;
}
