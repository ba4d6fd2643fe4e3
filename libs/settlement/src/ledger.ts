import { createHash } from 'node:crypto';
import { BalancingGroupId, MinorUnits, PeriodId } from '@gridledger/domain';

/**
 * The double-entry "Stromkonto": one account per balancing group's BRP (`brp:<group>`) and
 * one for the TSO. Every posting's debits equal its credits; an account's balance is its
 * credits minus its debits, derived from postings only. A positive imbalance amount (the
 * group was long) is owed by the TSO to the BRP: credit the BRP, debit the TSO.
 */
export const TSO_ACCOUNT = 'tso';

export function brpAccount(groupId: BalancingGroupId): string {
  return `brp:${groupId}`;
}

export interface LedgerEntry {
  readonly account: string;
  readonly debit: MinorUnits;
  readonly credit: MinorUnits;
}

export interface Posting {
  readonly postingId: string;
  readonly groupId: BalancingGroupId;
  readonly periodId: PeriodId;
  readonly version: number;
  readonly entries: readonly LedgerEntry[];
}

export class UnbalancedPostingError extends Error {
  constructor(readonly postingId: string) {
    super(`posting ${postingId} does not balance: debits differ from credits`);
    this.name = 'UnbalancedPostingError';
  }
}

/**
 * The posting of one settled version: the difference between this version's imbalance
 * amount and what earlier versions already posted, so the books always sum to the latest
 * version. Null when nothing changes.
 */
export function imbalancePosting(groupId: BalancingGroupId, periodId: PeriodId, version: number, amountDelta: MinorUnits): Posting | null {
  if (amountDelta === 0n) return null;
  const magnitude = amountDelta < 0n ? -amountDelta : amountDelta;
  const brpReceives = amountDelta > 0n;
  const entries: LedgerEntry[] = [
    { account: brpAccount(groupId), debit: brpReceives ? 0n : magnitude, credit: brpReceives ? magnitude : 0n },
    { account: TSO_ACCOUNT, debit: brpReceives ? magnitude : 0n, credit: brpReceives ? 0n : magnitude },
  ];
  const posting = { postingId: `imbalance:${groupId}:${periodId}:v${version}`, groupId, periodId, version, entries };
  assertBalanced(posting);
  return posting;
}

export function assertBalanced(posting: Posting): void {
  let debits = 0n;
  let credits = 0n;
  for (const entry of posting.entries) {
    if (entry.debit < 0n || entry.credit < 0n) throw new UnbalancedPostingError(posting.postingId);
    debits += entry.debit;
    credits += entry.credit;
  }
  if (debits !== credits) throw new UnbalancedPostingError(posting.postingId);
}

/** Balances (credits − debits) per account, derived from postings alone. */
export function balancesOf(postings: Iterable<Posting>): Map<string, MinorUnits> {
  const balances = new Map<string, MinorUnits>();
  for (const posting of postings) {
    for (const entry of posting.entries) {
      balances.set(entry.account, (balances.get(entry.account) ?? 0n) + entry.credit - entry.debit);
    }
  }
  return balances;
}

/**
 * A digest over a group-period's postings in version order (sha256 of canonical lines),
 * so the settled event pins the books: the same postings always give the same digest.
 */
export function ledgerDigest(postings: readonly Posting[]): string {
  const hash = createHash('sha256');
  for (const posting of [...postings].sort((a, b) => a.version - b.version)) {
    // Entries in account order, so the digest does not depend on how a store returns them.
    for (const entry of [...posting.entries].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0))) {
      hash.update(`${posting.postingId}|${entry.account}|${entry.debit}|${entry.credit}\n`);
    }
  }
  return `0x${hash.digest('hex')}`;
}

/** A settled version as its event records it: enough to derive its posting again. */
export interface RecordedVersion {
  readonly groupId: BalancingGroupId;
  readonly periodId: PeriodId;
  readonly version: number;
  readonly imbalanceAmount: MinorUnits | null;
  readonly ledgerDigest: string;
}

/**
 * The postings of a group-period's recorded versions 1..n (each version posts the difference
 * of its amount to what was posted before; an unpriced version posts nothing), checked
 * against each version's ledger digest: a rebuild from the log restores exactly the books the
 * versions pinned, or refuses.
 */
export function postingsOfRecordedVersions(versions: readonly RecordedVersion[]): (Posting | null)[] {
  const postings: Posting[] = [];
  let posted = 0n;
  return versions.map((recorded, index) => {
    if (recorded.version !== index + 1) throw new RangeError(`${recorded.groupId} ${recorded.periodId}: version ${index + 1} is missing (found ${recorded.version})`);
    const delta = recorded.imbalanceAmount === null ? 0n : recorded.imbalanceAmount - posted;
    const posting = imbalancePosting(recorded.groupId, recorded.periodId, recorded.version, delta);
    if (posting) {
      postings.push(posting);
      posted += delta;
    }
    const digest = ledgerDigest(postings);
    if (digest !== recorded.ledgerDigest) throw new RangeError(`${recorded.groupId} ${recorded.periodId} v${recorded.version}: the postings derived from the amounts give ledger digest ${digest}, the version says ${recorded.ledgerDigest}`);
    return posting;
  });
}
