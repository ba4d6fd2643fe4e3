import { ledgerDigest, imbalancePosting, postingsOfRecordedVersions, type Posting } from '../src';

/** A rebuild from the log derives each recorded version's posting again and checks it against the version's ledger digest. */
describe('postingsOfRecordedVersions', () => {
  const key = { groupId: 'BG-A', periodId: '2026-03-29T01:00:00Z' };
  // v1 unpriced, v2 priced at 150, v3 a correction to −40, v4 the same amount (nothing to post).
  const amounts = [null, 150n, -40n, -40n];
  const expected: (Posting | null)[] = [null, imbalancePosting(key.groupId, key.periodId, 2, 150n), imbalancePosting(key.groupId, key.periodId, 3, -190n), null];
  const recorded = amounts.map((imbalanceAmount, i) => ({
    ...key,
    version: i + 1,
    imbalanceAmount,
    ledgerDigest: ledgerDigest(expected.slice(0, i + 1).filter((p): p is Posting => p !== null)),
  }));

  it('gives each version the difference to what was posted before, matching every ledger digest', () => {
    expect(postingsOfRecordedVersions(recorded)).toEqual(expected);
  });

  it('refuses a gap in the versions and a digest the amounts do not give', () => {
    expect(() => postingsOfRecordedVersions([recorded[0], recorded[2]])).toThrow(/version 2 is missing/);
    expect(() => postingsOfRecordedVersions([recorded[0], { ...recorded[1], imbalanceAmount: 151n }])).toThrow(/ledger digest/);
  });
});
