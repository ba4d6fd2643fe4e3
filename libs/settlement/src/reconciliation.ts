/**
 * Reconciliation across the services, per period (docs/integrity.md): what meter-ingest
 * published, what balancing received and settled, what capacity-market scheduled and what
 * chain-bridge committed and the chain holds. Pure: the service gathers the sides, this
 * says what differs, exactly, and which differences a replay can heal.
 */
export type Between = 'meter-ingest↔balancing' | 'balancing↔capacity-market' | 'balancing↔chain-bridge' | 'chain-bridge↔chain';

/** How a drift is healed: `resend` asks meter-ingest to re-send the group-period; `replay-settled` re-publishes balancing's settled version from its outbox. */
export type Heal = 'resend' | 'replay-settled';

export interface Drift {
  readonly between: Between;
  readonly periodId: string;
  readonly groupId: string;
  /** What differs: `manifest`, `values`, `schedules`, `version`, `root`. */
  readonly what: string;
  /** The upstream side's value and the downstream side's, as text (counts, digests, roots, Wh). */
  readonly expected: string;
  readonly actual: string;
  /** null: replay cannot heal it; an alarm for a human. */
  readonly heal: Heal | null;
}

export interface ManifestSide {
  readonly periodId: string;
  readonly groupId: string;
  readonly revision: number;
  readonly count: number;
  readonly digest: string;
}

/** A group-period balancing holds back because its values do not match the manifest it has. */
export interface AwaitingSide {
  readonly periodId: string;
  readonly groupId: string;
  readonly expected: { readonly count: number; readonly digest: string };
  readonly received: { readonly count: number; readonly digest: string };
}

export interface VersionSide {
  readonly periodId: string;
  readonly groupId: string;
  readonly version: number;
  readonly merkleRoot: string;
}

export interface CommitSide extends VersionSide {
  /** The bridge's state of this version (`confirmed`, `submitted`, …). */
  readonly status: string;
  /** The root the chain holds for this version; null when not read or not there. */
  readonly onChainRoot: string | null;
}

/** Scheduled energy from one group to another in a period (sum over the schedules). */
export interface ExchangeSide {
  readonly periodId: string;
  readonly fromGroup: string;
  readonly toGroup: string;
  readonly energyWh: string;
}

export interface ReconciliationSides {
  /** null when the service did not answer (reported, compared with nothing). */
  readonly meterIngest: readonly ManifestSide[] | null;
  readonly balancingManifests: readonly ManifestSide[];
  readonly balancingAwaiting: readonly AwaitingSide[];
  readonly balancingVersions: readonly VersionSide[];
  readonly balancingExchanges: readonly ExchangeSide[];
  readonly capacity: readonly ExchangeSide[] | null;
  readonly chainBridge: readonly CommitSide[] | null;
}

const key = (periodId: string, groupId: string) => `${periodId}|${groupId}`;
const digestText = (side: { count: number; digest: string }) => `${side.count} values, digest ${side.digest}`;

export function reconcile(sides: ReconciliationSides): Drift[] {
  const drifts: Drift[] = [];
  if (sides.meterIngest) {
    const held = new Map(sides.balancingManifests.map((m) => [key(m.periodId, m.groupId), m]));
    for (const published of sides.meterIngest) {
      const mine = held.get(key(published.periodId, published.groupId));
      if (!mine || mine.revision < published.revision) {
        drifts.push({
          between: 'meter-ingest↔balancing',
          periodId: published.periodId,
          groupId: published.groupId,
          what: 'manifest',
          expected: `revision ${published.revision}: ${digestText(published)}`,
          actual: mine ? `revision ${mine.revision}: ${digestText(mine)}` : 'no manifest',
          heal: 'resend',
        });
      }
    }
  }
  for (const awaiting of sides.balancingAwaiting) {
    drifts.push({ between: 'meter-ingest↔balancing', periodId: awaiting.periodId, groupId: awaiting.groupId, what: 'values', expected: digestText(awaiting.expected), actual: digestText(awaiting.received), heal: 'resend' });
  }
  if (sides.chainBridge) {
    const commits = new Map<string, CommitSide>();
    for (const commit of sides.chainBridge) {
      const known = commits.get(key(commit.periodId, commit.groupId));
      if (!known || known.version < commit.version) commits.set(key(commit.periodId, commit.groupId), commit);
    }
    for (const version of sides.balancingVersions) {
      const commit = commits.get(key(version.periodId, version.groupId));
      const base = { periodId: version.periodId, groupId: version.groupId };
      if (!commit || commit.version < version.version) {
        drifts.push({ between: 'balancing↔chain-bridge', ...base, what: 'version', expected: `v${version.version} root ${version.merkleRoot}`, actual: commit ? `v${commit.version} root ${commit.merkleRoot}` : 'nothing', heal: 'replay-settled' });
      } else if (commit.version === version.version && commit.merkleRoot !== version.merkleRoot) {
        drifts.push({ between: 'balancing↔chain-bridge', ...base, what: 'root', expected: `v${version.version} root ${version.merkleRoot}`, actual: `v${commit.version} root ${commit.merkleRoot}`, heal: null });
      }
    }
    for (const commit of commits.values()) {
      if (commit.status === 'confirmed' && commit.onChainRoot !== commit.merkleRoot) {
        drifts.push({ between: 'chain-bridge↔chain', periodId: commit.periodId, groupId: commit.groupId, what: 'root', expected: `v${commit.version} root ${commit.merkleRoot}`, actual: commit.onChainRoot ? `root ${commit.onChainRoot}` : 'no root on chain', heal: null });
      }
    }
  }
  if (sides.capacity) {
    const pair = (e: ExchangeSide) => `${e.periodId}|${e.fromGroup}|${e.toGroup}`;
    const mine = new Map(sides.balancingExchanges.map((e) => [pair(e), e.energyWh]));
    const theirs = new Map(sides.capacity.map((e) => [pair(e), e.energyWh]));
    for (const [k, energy] of theirs) {
      if (mine.get(k) !== energy) {
        const [periodId, fromGroup, toGroup] = k.split('|');
        drifts.push({ between: 'balancing↔capacity-market', periodId, groupId: fromGroup, what: 'schedules', expected: `${energy} Wh ${fromGroup}→${toGroup}`, actual: `${mine.get(k) ?? 'no'} Wh`, heal: null });
      }
    }
  }
  return drifts.sort((a, b) => (a.periodId === b.periodId ? (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0) : a.periodId < b.periodId ? -1 : 1));
}
