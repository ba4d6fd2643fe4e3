import { BalancingPeriodSettled, ChainPeriodCommitted, ChainPeriodConfirmed, ChainPeriodFinalized, MessageDeadLettered, MeterIntervalsMeasured } from '@gridledger/events';
import { MarketBoard } from '../src/market-board';
import { metricSum } from '../src/operations';

const PERIOD = '2026-11-24T12:00:00Z';
const AFTER_PERIOD = Date.parse(PERIOD) + 20 * 60_000;
const ROOT = `0x${'ab'.repeat(32)}`;
const TX = `0x${'cd'.repeat(32)}`;
const CONTRACT = `0x${'11'.repeat(20)}`;
const occurredAt = new Date(AFTER_PERIOD);

const measured = (groupId: string, periodId = PERIOD) =>
  MeterIntervalsMeasured.create({
    data: {
      batchId: `0x${'01'.repeat(32)}`,
      mpo: `0x${'22'.repeat(20)}`,
      groupId,
      periodLength: 'PT15M',
      receivedAt: periodId,
      series: [{ periodId, direction: 'consumption', quality: 'measured', meterIds: ['DE000000001-C'], energyWh: ['120'] }],
    },
    idParts: [groupId, periodId],
    occurredAt,
  });

const settled = (version: number, trigger: 'complete' | 'correction' = 'complete') =>
  BalancingPeriodSettled.create({
    data: {
      groupId: 'BG-01',
      periodId: PERIOD,
      periodLength: 'PT15M',
      version,
      trigger,
      feedInWh: '1000',
      feedOutWh: '400',
      scheduleNetWh: '100',
      imbalanceWh: '500',
      imbalancePricePerMWh: '9000',
      imbalanceAmount: '45',
      ledgerDigest: ROOT,
      merkleRoot: ROOT,
      meterCount: 10,
      substitutedCount: 1,
    },
    idParts: ['BG-01', PERIOD, String(version)],
    occurredAt,
  });

const anchor = { groupId: 'BG-01', periodId: PERIOD, merkleRoot: ROOT, chainId: 31337, contract: CONTRACT, txHash: TX, blockNumber: 12, blockHash: TX };
const committed = (version: number) => ChainPeriodCommitted.create({ data: { ...anchor, version }, idParts: ['c', String(version)], occurredAt });
const confirmed = (version: number) => ChainPeriodConfirmed.create({ data: { ...anchor, version, confirmations: 2 }, idParts: ['k', String(version)], occurredAt });
const finalized = (version: number) =>
  ChainPeriodFinalized.create({
    data: {
      periodId: PERIOD,
      revision: version,
      groups: [{ groupId: 'BG-01', version }],
      totals: { feedInWh: '1000', feedOutWh: '400', scheduleNetWh: '100', imbalanceWh: '500' },
      confirmations: 2,
      chainId: 31337,
      contract: CONTRACT,
      txHash: TX,
      blockNumber: 14,
      blockHash: TX,
    },
    idParts: ['f', String(version)],
    occurredAt,
  });

const stateAfter = (events: unknown[], nowMs = AFTER_PERIOD): string | undefined => {
  const board = new MarketBoard();
  for (const event of events) board.apply(event);
  return board.snapshot(nowMs).cells.find((c) => c.groupId === 'BG-01')?.state;
};

describe('market board', () => {
  it('walks a group-period through open, closed, settled, committed, confirmed and finalized', () => {
    expect(stateAfter([measured('BG-01')], Date.parse(PERIOD) + 60_000)).toBe('open');
    expect(stateAfter([measured('BG-01')])).toBe('closed');
    expect(stateAfter([measured('BG-01'), settled(1)])).toBe('settled');
    expect(stateAfter([measured('BG-01'), settled(1), committed(1)])).toBe('committed');
    expect(stateAfter([settled(1), committed(1), confirmed(1)])).toBe('confirmed');
    expect(stateAfter([settled(1), committed(1), confirmed(1), finalized(1)])).toBe('finalized');
  });

  it('shows a correction until its version is finalized, and keeps every version with why it exists', () => {
    expect(stateAfter([settled(1), confirmed(1), finalized(1), settled(2, 'correction')])).toBe('corrected');
    expect(stateAfter([settled(1), finalized(1), settled(2, 'correction'), confirmed(2), finalized(2)])).toBe('finalized');
    const board = new MarketBoard();
    [settled(1), settled(2, 'correction')].forEach((e) => board.apply(e));
    expect(board.snapshot(AFTER_PERIOD).cells[0].versions.map((v) => `${v.version}:${v.trigger}`)).toEqual(['1:complete', '2:correction']);
  });

  it('keeps a commit read before its settled version (streams are read side by side)', () => {
    const board = new MarketBoard();
    [confirmed(1), settled(1)].forEach((e) => board.apply(e));
    const [cell] = board.snapshot(AFTER_PERIOD).cells;
    expect(cell.state).toBe('confirmed');
    expect(cell.versions[0]).toMatchObject({ txHash: TX, blockNumber: 12, confirmed: true });
  });

  it('lists groups and periods, counts dead letters once, ignores what it does not read', () => {
    const board = new MarketBoard();
    const letter = MessageDeadLettered.create({
      data: { stream: 'METER', consumer: 'balancing-intervals', subject: 'meter.intervals.measured.BG-01', streamSequence: 3, deliveries: 1, reason: 'malformed', payloadBase64: '' },
      idParts: ['METER', '3'],
      occurredAt,
    });
    expect(board.apply(letter)).toBe(true);
    expect(board.apply(letter)).toBe(false);
    expect(board.apply({ type: 'market.prices.published' })).toBe(false);
    board.apply(measured('BG-02'));
    board.apply(measured('BG-01', '2026-11-24T12:15:00Z'));
    const snapshot = board.snapshot(AFTER_PERIOD);
    expect(snapshot).toMatchObject({ groups: ['BG-01', 'BG-02'], periods: [PERIOD, '2026-11-24T12:15:00Z'], deadLettered: 1 });
    expect(snapshot.revision).toBe(3);
  });
});

describe('metricSum', () => {
  it('sums every series of one metric in Prometheus text, and says when it is absent', () => {
    const text = ['# HELP gridledger_outbox_parked_rows x', 'gridledger_outbox_parked_rows{schema="a"} 2', 'gridledger_outbox_parked_rows{schema="b"} 3', 'gridledger_outbox_parked_rows_other 9'].join('\n');
    expect(metricSum(text, 'gridledger_outbox_parked_rows')).toBe(5);
    expect(metricSum(text, 'gridledger_reconciliation_drift')).toBeNull();
  });
});
