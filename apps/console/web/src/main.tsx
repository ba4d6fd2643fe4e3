import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { useBoard } from './api';
import { CapacityPage } from './pages/capacity';
import { ChartPage } from './pages/chart';
import { GroupPeriodPage } from './pages/group-period';
import { MarketDayPage } from './pages/market-day';
import { MeterCheckPage } from './pages/meter-check';
import { OperationsPage } from './pages/operations';
import { href, useRoute } from './router';
import './styles.css';

const NAV = [
  ['', 'Market day'],
  ['chart', 'Energy chart'],
  ['capacity', 'Capacity'],
  ['operations', 'Operations'],
  ['check', "Meter owner's check"],
] as const;

function App() {
  const route = useRoute();
  const { board, live, error } = useBoard();
  const page = route[0] ?? '';
  return (
    <>
      <header>
        <h1>gridledger</h1>
        <nav>
          {NAV.map(([path, title]) => (
            <a key={path} href={path ? href(path) : '#/'} className={page === path || (page === 'group' && path === '') ? 'active' : ''}>
              {title}
            </a>
          ))}
        </nav>
        <span className={`live ${live ? 'on' : 'off'}`} data-testid="live">
          {live ? `live · revision ${board?.revision ?? 0}` : 'reconnecting…'}
        </span>
      </header>
      <main>
        {error && <p className="error">The market board could not be read: {error}</p>}
        {page === '' && <MarketDayPage board={board} />}
        {page === 'group' && route[1] && route[2] && <GroupPeriodPage groupId={route[1]} periodId={route[2]} board={board} />}
        {page === 'chart' && <ChartPage board={board} />}
        {page === 'capacity' && <CapacityPage board={board} />}
        {page === 'operations' && <OperationsPage />}
        {page === 'check' && <MeterCheckPage meterId={route[1]} periodId={route[2]} />}
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
