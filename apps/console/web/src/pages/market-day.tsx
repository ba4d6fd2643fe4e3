import type { BoardSnapshot, CellState, CellView } from '../../../src/board.types';
import { CELL_STATES } from '../../../src/board.types';
import { kWh, timeOf } from '../api';
import { href } from '../router';

const HINTS: Record<CellState, string> = {
  open: 'values arriving, the period has not ended',
  closed: 'the period has ended, settlement pending',
  settled: 'settled by balancing, not yet on chain',
  committed: 'committed on chain, not yet deep enough',
  confirmed: 'confirmed at depth on chain',
  finalized: 'finalized market-wide by the TSO',
  corrected: 'a correction (version > 1) on its way to the chain',
};

export function Legend() {
  return (
    <ul className="legend">
      {CELL_STATES.map((state) => (
        <li key={state} title={HINTS[state]}>
          <span className={`swatch state-${state}`} /> {state}
        </li>
      ))}
    </ul>
  );
}

/** Periods × groups, each cell coloured by the group-period's state; live as the streams move. */
export function MarketDayPage({ board }: { board: BoardSnapshot | undefined }) {
  if (!board) return <p>Reading the market from the streams…</p>;
  if (board.periods.length === 0) return <p>No period yet: nothing has been measured in this market.</p>;
  const byKey = new Map(board.cells.map((cell) => [`${cell.groupId}|${cell.periodId}`, cell]));
  const finalized = board.cells.filter((c) => c.state === 'finalized').length;
  const day = board.periods[0].slice(0, 10);
  return (
    <section>
      <h2>
        Market day {day}
        {board.periods.at(-1)!.slice(0, 10) !== day ? ` – ${board.periods.at(-1)!.slice(0, 10)}` : ''}
      </h2>
      <p className="summary">
        {board.groups.length} groups · {board.periods.length} periods · {finalized} of {board.cells.length} group-periods finalized
        {board.deadLettered > 0 ? ` · ${board.deadLettered} dead letters` : ''}
      </p>
      <Legend />
      <table className="grid" data-testid="market-grid">
        <thead>
          <tr>
            <th>period (UTC)</th>
            {board.groups.map((group) => (
              <th key={group}>{group}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {board.periods.map((periodId) => (
            <tr key={periodId}>
              <th title={periodId}>{timeOf(periodId)}</th>
              {board.groups.map((groupId) => (
                <Cell key={groupId} cell={byKey.get(`${groupId}|${periodId}`)} groupId={groupId} periodId={periodId} />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Cell({ cell, groupId, periodId }: { cell: CellView | undefined; groupId: string; periodId: string }) {
  if (!cell) return <td className="state-none">·</td>;
  const latest = cell.versions.at(-1);
  return (
    <td className={`state-${cell.state}`} data-state={cell.state} data-cell={`${groupId}|${periodId}`} title={`${groupId} ${periodId}: ${cell.state}${HINTS[cell.state] ? ` (${HINTS[cell.state]})` : ''}`}>
      <a href={href('group', groupId, periodId)}>
        {cell.state}
        {latest && latest.version > 1 ? ` v${latest.version}` : ''}
        {latest ? <small>{kWh(latest.imbalanceWh)} kWh</small> : <small>{cell.valuesReceived} values</small>}
      </a>
    </td>
  );
}
