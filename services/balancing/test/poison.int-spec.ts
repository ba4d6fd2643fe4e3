import { parsePeriodId, periodIdOf } from '@gridledger/domain';
import { BalancingPeriodSettled, CapacityExchangeScheduled, MarketPricesPublished } from '@gridledger/events';
import { MessagingClient, readDeadLetters, readStreamSubject } from '@gridledger/messaging';
import { balancingConsumerRefs } from '../src/ingest/balancing-consumers';
import { SpawnedService, TestDatabase, waitFor } from '@gridledger/testing';
import { BalancingUnderTest, publishMeasured, startBalancing } from './support/balancing-under-test';

/**
 * A poison outbox row (too large for any NATS server) is parked while the rows behind it are
 * published; a poison group-period (rows written straight into Postgres whose settlement overflows
 * int8) fails, is backed off, counted and parked after BALANCING_SETTLE_MAX_FAILURES, while
 * every other group-period settles and later corrections still flow; the metric, the error
 * log and the API show the parked one; a new input un-parks it. Both poisons at once, and
 * every other settled version reaches the BALANCING stream past them.
 */
const MPO = `0x${'33'.repeat(20)}`;
// A period that ended an hour ago: with BALANCING_GATE_DEADLINE_MS=1 its gates close by deadline.
const PERIOD = periodIdOf(Date.now() - 3_600_000);
// Sorts first in the queue (same period, smallest group id): before parking, it was the head.
const POISON = 'BG-0';
const MAX_FAILURES = 3;
const INT8_MAX = '9223372036854775807';

interface PeriodView {
  status: string;
  settlement: { failures: number; lastError: string | null; parkedAt: string | null };
  versions: { version: number; imbalanceWh: string }[];
}

describe('balancing settlement queue with a poison group-period', () => {
  let balancing: BalancingUnderTest;
  let db: TestDatabase;
  let messaging: MessagingClient;
  let service: SpawnedService;

  beforeAll(async () => {
    balancing = await startBalancing('balancing-poison-test', {
      BALANCING_SETTLE_INTERVAL_MS: '100',
      BALANCING_GATE_DEADLINE_MS: '1',
      BALANCING_SETTLE_MAX_FAILURES: String(MAX_FAILURES),
      BALANCING_SETTLE_RETRY_BACKOFF_MS: '200',
    });
    ({ db, messaging, service } = balancing);
  });

  afterAll(async () => {
    await balancing?.stop();
  });

  const sql = <T>(text: string, values: unknown[] = []): Promise<T[]> => db.query<T>(text, values);

  function sendValue(groupId: string, meterId: string, energyWh: string): Promise<void> {
    return publishMeasured(messaging, { mpo: MPO, groupId, periodId: PERIOD, values: [[meterId, 'production', energyWh]] });
  }

  async function period(groupId: string): Promise<PeriodView | undefined> {
    const response = await balancing.roles.read(`${service.url}/groups/${groupId}/periods/${PERIOD}`);
    return response.status === 200 ? ((await response.json()) as PeriodView) : undefined;
  }

  const untilVersion = (groupId: string, version: number) =>
    waitFor(async () => ((await period(groupId))?.versions.length ?? 0) >= version || undefined, { timeoutMs: 30_000, intervalMs: 100, what: `${groupId} version ${version}` });

  it('parks the poison group-period after its failures while the others settle, and un-parks it on a new input', async () => {
    // A poison outbox row ahead of everything balancing will publish: larger than any NATS
    // server takes (max_payload is at most 64 MiB). The relay parks it and publishes around it.
    await sql(`INSERT INTO balancing.outbox (event_id, event_type, subject, payload) VALUES ('poison-row', 'balancing.period.settled', 'balancing.period.settled.BG-POISON-ROW', repeat('x', 65 * 1024 * 1024))`);
    // The attack the API now refuses, written straight into the table: two schedules of
    // 2^63 − 1 Wh out of the poison group make its schedule net overflow int8 when stored.
    for (const scheduleId of ['poison-1', 'poison-2']) {
      await sql(`INSERT INTO balancing.schedules (schedule_id, period_id, from_group, to_group, energy_wh) VALUES ($1, $2, $3, 'BG-GHOST', $4)`, [scheduleId, PERIOD, POISON, INT8_MAX]);
    }
    await sendValue(POISON, 'P1', '1000');
    await sendValue('BG-A', 'A1', '2000');
    await sendValue('BG-B', 'B1', '3000');

    await untilVersion('BG-A', 1);
    await untilVersion('BG-B', 1);
    // Both settled events were published behind the parked row.
    const [row] = await waitFor(async () => {
      const rows = await sql<{ parked_at: Date | null; park_reason: string | null }>(`SELECT parked_at, park_reason FROM balancing.outbox WHERE event_id = 'poison-row'`);
      return rows[0]?.parked_at ? rows : undefined;
    }, { timeoutMs: 30_000, what: 'the poison outbox row parked' });
    expect(row.park_reason).toMatch(/MAX_PAYLOAD|payload/i);
    const settledSubjects = await waitFor(async () => {
      const subjects = (await sql<{ subject: string }>(`SELECT subject FROM balancing.outbox WHERE published_at IS NOT NULL AND event_type = 'balancing.period.settled'`)).map((r) => r.subject).sort();
      return subjects.length >= 2 ? subjects : undefined;
    }, { timeoutMs: 30_000, what: 'settled events published around the parked row' });
    expect(settledSubjects).toEqual(['balancing.period.settled.BG-A', 'balancing.period.settled.BG-B']);
    const info = await messaging.jsm.streams.info(messaging.streamName('BALANCING'));
    expect(info.state.messages).toBeGreaterThanOrEqual(2);
    const parked = await waitFor(async () => {
      const view = await period(POISON);
      return view?.settlement.parkedAt ? view : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, what: `${POISON} parked` });
    expect(parked.status).toBe('open');
    expect(parked.versions).toEqual([]);
    expect(parked.settlement.failures).toBe(MAX_FAILURES);
    expect(parked.settlement.lastError).toMatch(/out of range for type bigint/);
    expect(parked.settlement.lastError!.length).toBeLessThanOrEqual(500);
    expect(Date.parse(parked.settlement.parkedAt!)).toBeGreaterThan(parsePeriodId(PERIOD));

    // The alarm: a metric and an error log naming group, period and reason.
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/gridledger_settlement_parked_group_periods(_total)?\{[^}]*status="open"[^}]*\} 1\b/);
    const parkedLog = service
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: string; group?: string; period?: string; reason?: string; failures?: number })
      .find((line) => line.level === 'error' && line.group === POISON);
    expect(parkedLog).toEqual(expect.objectContaining({ period: PERIOD, failures: MAX_FAILURES, reason: expect.stringMatching(/out of range/) as unknown }));

    // A later correction of another group still settles, and the parked one is not retried.
    await sendValue('BG-A', 'A1', '2500');
    await untilVersion('BG-A', 2);
    expect((await period('BG-A'))!.versions[1].imbalanceWh).toBe('2500');
    expect((await period(POISON))!.settlement.failures).toBe(MAX_FAILURES);

    // The operator removes the bad rows and a new value un-parks it: it settles.
    await sql(`DELETE FROM balancing.schedules WHERE from_group = $1`, [POISON]);
    await sendValue(POISON, 'P1', '1100');
    await untilVersion(POISON, 1);
    const settled = (await period(POISON))!;
    expect(settled.versions[0].imbalanceWh).toBe('1100');
    expect(settled.settlement).toEqual({ failures: 0, lastError: null, parkedAt: null });

    // Everything else flowed past both poisons: every settled version is on the BALANCING
    // stream, once, and the parked row stays parked (never published, never retried into the stream).
    const onStream = await waitFor(async () => {
      const versions: string[] = [];
      await readStreamSubject(messaging, 'BALANCING', BalancingPeriodSettled.subjectFilter, (msg) => {
        const { data } = BalancingPeriodSettled.parse(msg.json());
        if (data.periodId === PERIOD) versions.push(`${data.groupId} v${data.version}`);
      });
      return versions.length >= 4 ? versions.sort() : undefined;
    }, { timeoutMs: 30_000, what: 'every settled version on the stream' });
    expect(onStream).toEqual(['BG-0 v1', 'BG-A v1', 'BG-A v2', 'BG-B v1']);
    expect(await sql(`SELECT published_at, parked_at IS NOT NULL AS parked FROM balancing.outbox WHERE event_id = 'poison-row'`)).toEqual([{ published_at: null, parked: true }]);
    expect(await sql(`SELECT event_id FROM balancing.outbox WHERE published_at IS NULL AND parked_at IS NULL AND event_type = 'balancing.period.settled'`)).toEqual([]);
  }, 90_000);

  it('dead-letters an exchange or a price beyond the domain limits from the streams and applies the valid one after them', async () => {
    const refused = periodIdOf(Date.now() + 86_400_000);
    const valid = periodIdOf(Date.now() + 86_400_000 + 900_000);
    await messaging.publishEvent(
      CapacityExchangeScheduled,
      CapacityExchangeScheduled.create({ data: { periodId: refused, periodLength: 'PT15M', version: 1, fromGroup: 'BG-O', toGroup: 'BG-V', energyWh: INT8_MAX }, idParts: ['overflow-exchange'], occurredAt: new Date() }),
    );
    for (const [periodId, price] of [[refused, '100000000000000000000'], [valid, '5000']]) {
      await messaging.publishEvent(MarketPricesPublished, MarketPricesPublished.create({ data: { periodId, imbalancePricePerMWh: price, energyPricePerMWh: '4000' }, idParts: ['prices', periodId], occurredAt: new Date() }));
    }
    const refs = balancingConsumerRefs('balancing');
    const letters = await waitFor(
      async () => {
        const found = [...(await readDeadLetters(messaging, { consumer: refs.exchanges.durable })), ...(await readDeadLetters(messaging, { consumer: refs.prices.durable }))];
        return found.length >= 2 ? found : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'two dead letters' },
    );
    expect(letters.map((letter) => letter.reason).sort()).toEqual([expect.stringMatching(/OUT_OF_RANGE energyWh: /), expect.stringMatching(/OUT_OF_RANGE imbalancePricePerMWh: /)]);
    await waitFor(async () => (await sql(`SELECT 1 FROM balancing.prices WHERE period_id = $1`, [valid])).length === 1 || undefined, { timeoutMs: 30_000, what: 'the valid price' });
    const written = await sql<{ schedules: string; prices: string }>(
      `SELECT (SELECT count(*) FROM balancing.schedules WHERE period_id = $1) AS schedules, (SELECT count(*) FROM balancing.prices WHERE period_id = $1) AS prices`,
      [refused],
    );
    expect(written).toEqual([{ schedules: '0', prices: '0' }]);
  }, 60_000);
});
