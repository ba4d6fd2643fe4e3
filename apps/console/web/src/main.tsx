import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { getJson, useBoard, type ConsoleConfig } from './api';
import { CapacityPage } from './pages/capacity';
import { ChartPage } from './pages/chart';
import { GroupPeriodPage } from './pages/group-period';
import { MarketDayPage } from './pages/market-day';
import { MeterCheckPage } from './pages/meter-check';
import { OperationsPage } from './pages/operations';
import { href, useRoute } from './router';
import { currentSession, signIn, signOut, type Session } from './session';
import './styles.css';

const NAV = [
  ['', 'Market day'],
  ['chart', 'Energy chart'],
  ['capacity', 'Capacity'],
  ['operations', 'Operations'],
  ['check', "Meter owner's check"],
] as const;

/** Sign-In with Ethereum: reads then carry the participant's session to the services. */
function SignIn() {
  const [session, setSession] = useState<Session | undefined>(currentSession);
  const [error, setError] = useState<string>();
  if (session) {
    return (
      <span className="session" data-testid="session">
        signed in as <span className="hex">{session.address}</span>{' '}
        <button onClick={() => (signOut(), setSession(undefined), window.location.reload())}>sign out</button>
      </span>
    );
  }
  return (
    <span className="session">
      <button
        data-testid="sign-in"
        onClick={() =>
          void getJson<ConsoleConfig>('/api/config')
            .then(signIn)
            .then((signed) => (setSession(signed), setError(undefined)), (failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)))
        }
      >
        Sign in with Ethereum
      </button>
      {error && <small className="error"> {error}</small>}
    </span>
  );
}

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
        <SignIn />
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
