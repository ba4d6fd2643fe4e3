import type { BoardSnapshot } from '../../../src/board.types';
import { euros, kWh, service, shortHex, useJson } from '../api';
import { href } from '../router';

interface BalancingVersion {
  version: number;
  trigger: string;
  feedInWh: string;
  feedOutWh: string;
  scheduleNetWh: string;
  imbalanceWh: string;
  imbalancePricePerMWh: string | null;
  imbalanceAmount: string | null;
  ledgerDigest: string;
  merkleRoot: string;
  meterCount: number;
  substitutedCount: number;
  settledAt: string;
}
interface BalancingPeriod {
  status: string;
  confirmedVersion: number | null;
  correctionPending: boolean;
  settlement: { failures: number; lastError: string | null; parkedAt: string | null };
  versions: BalancingVersion[];
}
interface CommitVersion {
  version: number;
  status: string;
  merkleRoot: string;
  txHash: string | null;
  blockNumber: number | null;
  blockHash: string | null;
  attempts: number;
  lastError: string | null;
  confirmedAt: string | null;
}
interface Balances {
  items: { account: string; debits: string; credits: string; balance: string }[];
}

const WHY: Record<string, string> = {
  complete: 'every meter of the group had its value: the gate closed on completeness',
  deadline: 'the gate deadline passed: missing values were substituted',
  correction: 'a late or changed value arrived after settlement',
  priced: 'the imbalance price arrived after settlement',
};

/** One group-period: its totals, every version and why it exists, substitutes, ledger, chain anchor. */
/** balancing's GET /reconciliation: the reconciler's last pass (docs/integrity.md). */
interface Reconciliation {
  checkedAt: string | null;
  fromPeriod: string | null;
  toPeriod: string | null;
  unreachable: string[];
  drifts: { between: string; periodId: string; groupId: string; what: string; expected: string; actual: string; heal: unknown; firstSeenAt: string }[];
}

export function GroupPeriodPage({ groupId, periodId, board }: { groupId: string; periodId: string; board: BoardSnapshot | undefined }) {
  const cell = board?.cells.find((c) => c.groupId === groupId && c.periodId === periodId);
  const balancing = useJson<BalancingPeriod>(service('balancing', `/groups/${encodeURIComponent(groupId)}/periods/${encodeURIComponent(periodId)}`), board?.revision);
  const commits = useJson<{ versions: CommitVersion[] }>(service('chain-bridge', `/commits/${encodeURIComponent(groupId)}/${encodeURIComponent(periodId)}`), board?.revision);
  const ledger = useJson<Balances>(service('balancing', '/ledger/balances?limit=500'), board?.revision);
  const reconciliation = useJson<Reconciliation>(service('balancing', '/reconciliation'), board?.revision);
  const drifts = (reconciliation.data?.drifts ?? []).filter((d) => d.groupId === groupId && d.periodId === periodId);
  const latest = balancing.data?.versions.at(-1);
  // The double-entry accounts (libs/settlement/src/ledger.ts): brp:<group> and the TSO's.
  const accounts = (ledger.data?.items ?? []).filter((row) => row.account === `brp:${groupId}` || row.account === 'tso');
  const versions = balancing.data?.versions ?? [];
  /** Each version posts the change of the imbalance amount: credit the BRP and debit the TSO when it grows. */
  const posting = (index: number): string => {
    const amount = BigInt(versions[index].imbalanceAmount ?? '0');
    const before = index > 0 ? BigInt(versions[index - 1].imbalanceAmount ?? '0') : 0n;
    const delta = amount - before;
    if (delta === 0n) return 'none';
    return delta > 0n ? `brp:${groupId} credit ${euros(delta.toString())} · tso debit` : `brp:${groupId} debit ${euros((-delta).toString())} · tso credit`;
  };
  return (
    <section data-testid="group-period">
      <p>
        <a href="#/">← market day</a>
      </p>
      <h2>
        {groupId} · {periodId}{' '}
        {cell && (
          <span className={`badge state-${cell.state}`} data-testid="group-period-state">
            {cell.state}
          </span>
        )}
      </h2>
      {balancing.error && <p className="error">balancing: {balancing.error}</p>}
      {latest && (
        <dl className="totals">
          <dt>feed-in</dt>
          <dd>{kWh(latest.feedInWh)} kWh</dd>
          <dt>feed-out</dt>
          <dd>{kWh(latest.feedOutWh)} kWh</dd>
          <dt>schedules (net)</dt>
          <dd>{kWh(latest.scheduleNetWh)} kWh</dd>
          <dt>imbalance</dt>
          <dd>{kWh(latest.imbalanceWh)} kWh</dd>
          <dt>settled</dt>
          <dd>{euros(latest.imbalanceAmount)}</dd>
          <dt>meters</dt>
          <dd>
            {latest.meterCount} ({latest.substitutedCount} substituted)
          </dd>
          <dt>balancing status</dt>
          <dd>
            {balancing.data?.status}
            {balancing.data?.correctionPending ? ' · correction pending' : ''}
            {balancing.data?.settlement.parkedAt ? ` · PARKED: ${balancing.data.settlement.lastError}` : ''}
          </dd>
        </dl>
      )}
      <h3>Versions</h3>
      <table>
        <thead>
          <tr>
            <th>v</th>
            <th>why</th>
            <th>feed-in kWh</th>
            <th>feed-out kWh</th>
            <th>imbalance kWh</th>
            <th>price €/MWh</th>
            <th>amount</th>
            <th>substitutes</th>
            <th>ledger posting</th>
            <th>Merkle root</th>
            <th>chain</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v, index) => {
            const commit = commits.data?.versions.find((c) => c.version === v.version);
            return (
              <tr key={v.version}>
                <td>{v.version}</td>
                <td title={WHY[v.trigger]}>
                  {v.trigger}: {WHY[v.trigger] ?? ''}
                </td>
                <td className="num">{kWh(v.feedInWh)}</td>
                <td className="num">{kWh(v.feedOutWh)}</td>
                <td className="num">{kWh(v.imbalanceWh)}</td>
                <td className="num">{v.imbalancePricePerMWh ? euros(v.imbalancePricePerMWh) : 'not priced'}</td>
                <td className="num">{euros(v.imbalanceAmount)}</td>
                <td className="num">{v.substitutedCount}</td>
                <td>{posting(index)}</td>
                <td className="hex">{shortHex(v.merkleRoot)}</td>
                <td>
                  {commit ? (
                    <span data-testid={`chain-v${v.version}`}>
                      {commit.status} · tx <span className="hex">{shortHex(commit.txHash)}</span> · block {commit.blockNumber ?? '—'}
                      {commit.lastError ? ` · ${commit.lastError}` : ''}
                    </span>
                  ) : (
                    'not on chain yet'
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h3>Ledger</h3>
      {latest && (
        <p>
          Ledger digest of version {latest.version}: <span className="hex">{shortHex(latest.ledgerDigest)}</span>. Balances of the group's BRP account and the TSO's
          (credits − debits, over all periods):
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th>account</th>
            <th>debits</th>
            <th>credits</th>
            <th>balance</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((row) => (
            <tr key={row.account}>
              <td>{row.account}</td>
              <td className="num">{euros(row.debits)}</td>
              <td className="num">{euros(row.credits)}</td>
              <td className="num">{euros(row.balance)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Reconciliation</h3>
      {reconciliation.data === undefined ? (
        <p>{reconciliation.error ? `The reconciler did not answer: ${reconciliation.error}` : 'Loading the reconciler’s last pass…'}</p>
      ) : drifts.length === 0 ? (
        <p>
          No drift in the reconciler’s last pass ({reconciliation.data.checkedAt ?? 'not run yet'}, periods {reconciliation.data.fromPeriod ?? '—'} to{' '}
          {reconciliation.data.toPeriod ?? '—'}{reconciliation.data.unreachable.length > 0 ? `; not answering: ${reconciliation.data.unreachable.join(', ')}` : ''}).
        </p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>between</th>
              <th>what</th>
              <th>expected</th>
              <th>actual</th>
              <th>heal</th>
              <th>seen since</th>
            </tr>
          </thead>
          <tbody>
            {drifts.map((d) => (
              <tr key={`${d.between}:${d.what}`}>
                <td>{d.between}</td>
                <td>{d.what}</td>
                <td>{d.expected}</td>
                <td>{d.actual}</td>
                <td>{d.heal === null ? 'alarm (replay cannot heal it)' : 'by replay'}</td>
                <td>{d.firstSeenAt}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href={href('check')}>Check a meter's value in this period →</a>
      </p>
    </section>
  );
}
