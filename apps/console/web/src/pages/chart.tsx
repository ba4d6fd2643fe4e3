import { useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { BoardSnapshot } from '../../../src/board.types';
import { timeOf } from '../api';

const MARKET = '(market total)';

/** Per period: feed-in, feed-out and imbalance of the latest settled version, in kWh, for a group or the whole market. */
export function chartRows(board: BoardSnapshot, group: string) {
  return board.periods.map((periodId) => {
    const cells = board.cells.filter((c) => c.periodId === periodId && (group === MARKET || c.groupId === group));
    const sum = (pick: (v: { feedInWh: string; feedOutWh: string; imbalanceWh: string }) => string) =>
      cells.reduce((total, cell) => {
        const latest = cell.versions.at(-1);
        return latest ? total + Number(BigInt(pick(latest))) / 1000 : total;
      }, 0);
    return { period: timeOf(periodId), feedIn: sum((v) => v.feedInWh), feedOut: sum((v) => v.feedOutWh), imbalance: sum((v) => v.imbalanceWh) };
  });
}

export function ChartPage({ board }: { board: BoardSnapshot | undefined }) {
  const [group, setGroup] = useState(MARKET);
  if (!board) return <p>Reading the market…</p>;
  const rows = chartRows(board, group);
  return (
    <section>
      <h2>Feed-in, feed-out and imbalance over the day</h2>
      <label>
        group{' '}
        <select value={group} onChange={(event) => setGroup(event.target.value)} data-testid="chart-group">
          {[MARKET, ...board.groups].map((g) => (
            <option key={g}>{g}</option>
          ))}
        </select>
      </label>
      <div className="chart" data-testid="energy-chart">
        <ResponsiveContainer width="100%" height={380}>
          <LineChart data={rows} margin={{ top: 10, right: 20, bottom: 10, left: 10 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="period" />
            <YAxis unit=" kWh" width={90} />
            <Tooltip formatter={(value) => `${Number(value).toFixed(3)} kWh`} />
            <Legend />
            <Line type="monotone" dataKey="feedIn" name="feed-in" stroke="#2e7d32" dot={false} isAnimationActive={false} />
            <Line type="monotone" dataKey="feedOut" name="feed-out" stroke="#c62828" dot={false} isAnimationActive={false} />
            <Line type="monotone" dataKey="imbalance" name="imbalance" stroke="#1565c0" dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </section>
  );
}
