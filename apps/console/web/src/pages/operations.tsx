import { useState } from 'react';
import { getJson, service, useJson } from '../api';
import { currentSession } from '../session';

interface DeadLetter {
  deadLetterId: string;
  stream: string;
  consumer: string;
  subject: string;
  streamSequence: number;
  deliveries: number;
  reason: string;
  payloadBytes: number;
  payloadPreview: string;
}
interface Operations {
  deadLetters: DeadLetter[];
  consumers: { stream: string; consumer: string; pending: number; ackPending: number; redelivered: number }[];
  services: { service: string; reachable: boolean; outboxUnpublished: number | null; outboxParked: number | null; settlementParked: number | null; reconciliationDrift: number | null }[];
}
interface Alarms {
  items: { id: number; kind: string; groupId: string | null; periodId: string | null; version: number | null; detail: string; raisedAt: string }[];
}

const show = (value: number | null): string => (value === null ? '—' : String(value));

/**
 * Alarms (a MARKET_OPERATOR's read session), dead letters with their reasons and a re-drive
 * (the signed-in market operator only: the server checks the session and the role), consumer
 * lag, outbox, drift.
 */
export function OperationsPage() {
  const ops = useJson<Operations>('/api/operations');
  const alarms = useJson<Alarms>(service('chain-bridge', '/alarms?limit=50'));
  const [outcome, setOutcome] = useState<string>();
  const session = currentSession();

  async function redrive(ids: string[]): Promise<void> {
    setOutcome(undefined);
    const signedIn = currentSession();
    if (!signedIn) return setOutcome('re-drive refused: sign in as the market operator first');
    try {
      const result = await getJson<{ redriven: number; redriveId: string }>('/api/operations/dead-letters/redrive', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: signedIn.authorization },
        body: JSON.stringify({ ids }),
      });
      setOutcome(`re-drove ${result.redriven} dead letter${result.redriven === 1 ? '' : 's'} (re-drive ${result.redriveId})`);
      ops.reload();
    } catch (error) {
      setOutcome(`re-drive refused: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return (
    <section>
      <h2>Operations</h2>
      <p>
        <button onClick={() => (ops.reload(), alarms.reload())}>refresh</button>
      </p>
      {ops.error && <p className="error">{ops.error}</p>}
      <h3>Dead letters ({ops.data?.deadLetters.length ?? '…'})</h3>
      <p data-testid="operator-session">
        {session ? `re-drives are signed in as ${session.address}` : 'sign in to re-drive'}{' '}
        <small>(re-driving is for the market operator only: a session of an address holding MARKET_OPERATOR)</small>
      </p>
      {outcome && (
        <p className="outcome" data-testid="redrive-outcome">
          {outcome}
        </p>
      )}
      <table data-testid="dead-letters">
        <thead>
          <tr>
            <th>stream #</th>
            <th>consumer</th>
            <th>subject</th>
            <th>deliveries</th>
            <th>reason</th>
            <th>payload</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(ops.data?.deadLetters ?? []).map((letter) => (
            <tr key={letter.deadLetterId} data-dead-letter={letter.deadLetterId}>
              <td>
                {letter.stream} #{letter.streamSequence}
              </td>
              <td>{letter.consumer}</td>
              <td>{letter.subject}</td>
              <td className="num">{letter.deliveries}</td>
              <td className="reason">{letter.reason}</td>
              <td title={letter.payloadPreview}>{letter.payloadBytes} bytes</td>
              <td>
                <button disabled={!session} onClick={() => void redrive([letter.deadLetterId])}>
                  re-drive
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Chain alarms</h3>
      {alarms.error && <p className="error">chain-bridge: {alarms.error}</p>}
      <table>
        <thead>
          <tr>
            <th>raised</th>
            <th>kind</th>
            <th>group-period</th>
            <th>detail</th>
          </tr>
        </thead>
        <tbody>
          {(alarms.data?.items ?? []).map((alarm) => (
            <tr key={alarm.id}>
              <td>{alarm.raisedAt}</td>
              <td>{alarm.kind}</td>
              <td>
                {alarm.groupId} {alarm.periodId} {alarm.version ? `v${alarm.version}` : ''}
              </td>
              <td>{alarm.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {alarms.data?.items.length === 0 && <p>No alarms.</p>}
      <h3>Consumer lag</h3>
      <table data-testid="consumer-lag">
        <thead>
          <tr>
            <th>stream</th>
            <th>consumer</th>
            <th>pending</th>
            <th>unacked</th>
            <th>redelivered</th>
          </tr>
        </thead>
        <tbody>
          {(ops.data?.consumers ?? []).map((c) => (
            <tr key={`${c.stream}/${c.consumer}`}>
              <td>{c.stream}</td>
              <td>{c.consumer}</td>
              <td className="num">{c.pending}</td>
              <td className="num">{c.ackPending}</td>
              <td className="num">{c.redelivered}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Outbox, settlement queue and reconciliation</h3>
      <table>
        <thead>
          <tr>
            <th>service</th>
            <th>outbox unpublished</th>
            <th>outbox parked</th>
            <th>settlement parked</th>
            <th>reconciliation drift</th>
          </tr>
        </thead>
        <tbody>
          {(ops.data?.services ?? []).map((s) => (
            <tr key={s.service} className={s.reachable ? '' : 'unreachable'}>
              <td>
                {s.service}
                {s.reachable ? '' : ' (unreachable)'}
              </td>
              <td className="num">{show(s.outboxUnpublished)}</td>
              <td className="num">{show(s.outboxParked)}</td>
              <td className="num">{show(s.settlementParked)}</td>
              <td className="num">{show(s.reconciliationDrift)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
