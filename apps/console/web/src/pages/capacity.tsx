import { useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { BoardSnapshot } from '../../../src/board.types';
import { kWh, timeOf } from '../api';

/** A plant's output per period and how each period's output went to the holders of its shares. */
export function CapacityPage({ board }: { board: BoardSnapshot | undefined }) {
  const plants = [...new Set((board?.capacity ?? []).flatMap((p) => p.plants.map((row) => row.plantId)))].sort();
  const [chosen, setChosen] = useState<string>();
  const [periodId, setPeriodId] = useState<string>();
  if (!board) return <p>Reading the market…</p>;
  if (plants.length === 0) return <p>No allocation yet: capacity-market publishes one per period once its plants' output is measured.</p>;
  const plant = chosen ?? plants[0];
  const rows = board.capacity.flatMap((period) =>
    period.plants
      .filter((row) => row.plantId === plant)
      .map((row) => ({ periodId: period.periodId, period: timeOf(period.periodId), holders: Number(BigInt(row.allocatedToHoldersWh)) / 1000, operator: Number(BigInt(row.operatorWh)) / 1000, outputWh: row.outputWh })),
  );
  const shown = periodId ?? rows.at(-1)?.periodId;
  const allocation = board.capacity.find((p) => p.periodId === shown);
  const holders = (allocation?.allocations ?? []).filter((a) => a.plantId === plant).sort((a, b) => Number(BigInt(b.allocatedWh) - BigInt(a.allocatedWh)));
  return (
    <section>
      <h2>Capacity: plant output and its allocation to holders</h2>
      <label>
        plant{' '}
        <select value={plant} onChange={(event) => setChosen(event.target.value)}>
          {plants.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <div className="chart" data-testid="capacity-chart">
        <ResponsiveContainer width="100%" height={300}>
          <BarChart data={rows} onClick={(state) => state?.activeLabel && setPeriodId(rows.find((r) => r.period === state.activeLabel)?.periodId)}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="period" />
            <YAxis unit=" kWh" width={90} />
            <Tooltip formatter={(value) => `${Number(value).toFixed(3)} kWh`} />
            <Legend />
            <Bar dataKey="holders" name="to share holders" stackId="output" fill="#2e7d32" isAnimationActive={false} />
            <Bar dataKey="operator" name="to the operator (unsold capacity)" stackId="output" fill="#9e9e9e" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
      {shown && (
        <>
          <h3>
            {plant} at {shown} (allocation v{allocation?.version}): {holders.length} holders
          </h3>
          <table>
            <thead>
              <tr>
                <th>holder</th>
                <th>shares (W)</th>
                <th>allocated kWh</th>
              </tr>
            </thead>
            <tbody>
              {holders.slice(0, 200).map((h) => (
                <tr key={h.holderId}>
                  <td>{h.holderId}</td>
                  <td className="num">{h.sharesW}</td>
                  <td className="num">{kWh(h.allocatedWh)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {holders.length > 200 && <p>… and {holders.length - 200} more</p>}
        </>
      )}
    </section>
  );
}
