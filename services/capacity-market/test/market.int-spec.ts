import type { NatsConnection } from 'nats';
import { Client } from 'pg';
import { Wallet, id } from 'ethers';
import { Holder, Plant, computePeriodAllocation } from '@gridledger/capacity';
import { CapacityAllocationComputed, CapacityExchangeScheduled, MarketPricesPublished, MeterIntervalsMeasured } from '@gridledger/events';
import type { MessagingClient } from '@gridledger/messaging';
import { SpawnedService, TestDatabase, connectTestMessaging, connectTestNats, createTestDatabase, deleteNamespaceStreams, measuredIntervalsBatch, randomNamespace, sessionFetch, signedFetch, spawnService, waitFor } from '@gridledger/testing';
import { startCapacityChain, type CapacityChain } from './support/capacity-service';

/**
 * capacity-market as a process over real NATS JetStream and Postgres. Shares are set up over
 * HTTP before period P; plant output and holder consumption arrive as meter events; the
 * process is killed (SIGKILL) while P is incomplete and restarted after P has ended. P and
 * P+1 come out once each, equal to the pure computation, with balanced postings and the
 * exchanges between groups; a late value makes version 2 with a reversal. The plant operator
 * registers its plants and issues; the holders (keys of their own) register and transfer; reads
 * are the holders' sessions.
 */
const P = '2026-03-29T01:00:00Z';
const P1 = '2026-03-29T01:15:00Z';
/** The plants' operator and the holders, each a key (a holder's id is its address). */
const operatorKey = new Wallet(id('capacity-market.int-spec/plant-operator'));
const OPERATOR = operatorKey.address;
// Seeds picked so the addresses sort alice < bob < carol: ties of the largest remainder go by holder id.
const keys = { alice: new Wallet(id('capacity-market.int-spec/alice/5')), bob: new Wallet(id('capacity-market.int-spec/bob/5')), carol: new Wallet(id('capacity-market.int-spec/carol/5')) };
const [ALICE, BOB, CAROL] = [keys.alice.address, keys.bob.address, keys.carol.address];
const signerOf = new Map<string, Wallet>([[OPERATOR, operatorKey], ...Object.values(keys).map((key): [string, Wallet] => [key.address, key])]);
const MPO = `0x${'11'.repeat(20)}`;
const ENTRY = 'services/capacity-market/src/main.ts';

const plants: Plant[] = [
  { plantId: 'pv-1', kind: 'pv', meterId: 'M-PV-1', capacityW: 10_000n, operator: OPERATOR, groupId: 'BG-A', feePerMWPeriodCents: 300_000n },
  { plantId: 'wind-1', kind: 'wind', meterId: 'M-W-1', capacityW: 3n, operator: OPERATOR, groupId: 'BG-B', feePerMWPeriodCents: 0n },
];
const holders: Holder[] = [
  { holderId: ALICE, consumptionMeterId: 'M-C-A', groupId: 'BG-A' },
  { holderId: BOB, consumptionMeterId: 'M-C-B', groupId: 'BG-B' },
  { holderId: CAROL, consumptionMeterId: 'M-C-C', groupId: 'BG-C' },
];
/** Holdings after the set-up below (issue, then bob transfers 500 W of pv-1 to carol). */
const holdings = [
  { plantId: 'pv-1', holderId: ALICE, sharesW: 5_000n },
  { plantId: 'pv-1', holderId: BOB, sharesW: 2_000n },
  { plantId: 'pv-1', holderId: CAROL, sharesW: 500n },
  { plantId: 'wind-1', holderId: BOB, sharesW: 1n },
  { plantId: 'wind-1', holderId: CAROL, sharesW: 1n },
];
const values: Record<string, Record<string, bigint>> = {
  [P]: { 'M-PV-1': 1_001n, 'M-W-1': 10n, 'M-C-A': 300n, 'M-C-B': 1_000n, 'M-C-C': 0n },
  // P+1: no sun, no wind; alice's surplus of P must not cover anything here.
  [P1]: { 'M-PV-1': 0n, 'M-W-1': 0n, 'M-C-A': 400n, 'M-C-B': 100n, 'M-C-C': 50n },
};
const PRICE = 8_000n;

function intervals(groupId: string, batch: string, entries: Array<[string, string, 'production' | 'consumption', bigint]>) {
  return measuredIntervalsBatch({
    label: batch,
    mpo: MPO,
    groupId,
    receivedAt: '2026-03-29T01:16:00Z',
    intervals: entries.map(([meterId, periodId, direction, energyWh]) => ({ meterId, direction, periodId, energyWh })),
    occurredAt: '2026-03-29T01:16:00Z',
  });
}

function price(periodId: string, energyPricePerMWh: bigint) {
  return MarketPricesPublished.create({
    data: { periodId, imbalancePricePerMWh: '12345', energyPricePerMWh: energyPricePerMWh.toString() },
    idParts: [periodId, energyPricePerMWh.toString()],
    occurredAt: '2026-03-29T01:20:00Z',
  });
}

describe('capacity-market over NATS and Postgres', () => {
  const ns = randomNamespace();
  let db: TestDatabase;
  let pg: Client;
  let messaging: MessagingClient;
  let nc: NatsConnection;
  let service: SpawnedService | undefined;
  let roles: CapacityChain;
  const env = (clockStart: string) => ({ DATABASE_URL: db.url, NATS_NAMESPACE: ns, CAPACITY_CLOCK_START: clockStart, CAPACITY_WORKER_INTERVAL_MS: '200', LOG_LEVEL: 'warn', ...roles.env });

  beforeAll(async () => {
    jest.setTimeout(120_000);
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    messaging = await connectTestMessaging({ namespace: ns, name: 'capacity-test' });
    await messaging.ensureStreams();
    nc = await connectTestNats();
    roles = await startCapacityChain();
    // Granted before the service starts: its role mirror reads them at start.
    for (const plant of plants) await roles.chain.grant('PLANT_OPERATOR', plant.plantId, OPERATOR);
  });

  afterAll(async () => {
    await service?.kill();
    await pg?.end();
    await messaging?.close();
    await nc?.close();
    await deleteNamespaceStreams(ns);
    await db?.drop();
    await roles?.close();
  });

  /** Signed by the party the rule names: the plant operator (plants, issues), else the holder the body names. */
  async function post(path: string, body: Record<string, unknown>): Promise<{ status: number; json: Record<string, unknown> }> {
    const party = path === '/plants' || path.endsWith('/issue') ? OPERATOR : String(body.fromHolderId ?? body.holderId);
    const response = await signedFetch((service as SpawnedService).url, signerOf.get(party) as Wallet, roles.environment, { method: 'POST', path, body });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  /** Read in a session of `reader` (default the plant operator, who may read its plants' holdings). */
  async function get(path: string, reader: Wallet = operatorKey): Promise<Record<string, unknown>> {
    const response = await sessionFetch((service as SpawnedService).url, reader, roles.environment, path);
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await pg.query(sql.replace(/\b(periods|allocation_versions|holder_allocations|holding_allocations|plant_allocations|ledger_entries|published_exchanges|rejected_inputs|inbox)\b/g, 'capacity_market.$1'), params)).rows as T[];
  }

  async function capacityEvents(): Promise<Array<{ subject: string; data: Record<string, unknown>; id: string }>> {
    const jsm = await nc.jetstreamManager();
    const stream = `CAPACITY_${ns}`;
    const info = await jsm.streams.info(stream);
    const out = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq });
      const envelope = JSON.parse(new TextDecoder().decode(message.data));
      out.push({ subject: message.subject.slice(ns.length + 1), data: envelope.data, id: envelope.id });
    }
    return out;
  }

  it('allocates P and P+1 once each across a SIGKILL, equal to the pure computation, and versions a late value', async () => {
    // Run 1: the clock stands before P; shares are set up over HTTP.
    service = await spawnService({ entry: ENTRY, env: env('2026-03-29T00:55:00Z'), readyTimeoutMs: 60_000 });
    for (const plant of plants) {
      const answer = await post('/plants', { ...plant, capacityW: plant.capacityW.toString(), feePerMWPeriodCents: plant.feePerMWPeriodCents.toString() });
      expect(answer.status).toBe(201);
    }
    for (const holder of holders) expect((await post('/holders', { ...holder })).status).toBe(201);
    expect((await post('/plants/pv-1/shares/issue', { holderId: ALICE, sharesW: '5000' })).status).toBe(200);
    expect((await post('/plants/pv-1/shares/issue', { holderId: BOB, sharesW: '2500' })).status).toBe(200);
    expect((await post('/plants/wind-1/shares/issue', { holderId: BOB, sharesW: 1 })).status).toBe(200);
    expect((await post('/plants/wind-1/shares/issue', { holderId: CAROL, sharesW: 1 })).status).toBe(200);
    const transfer = await post('/plants/pv-1/shares/transfer', { fromHolderId: BOB, toHolderId: CAROL, sharesW: '500' });
    expect(transfer).toMatchObject({ status: 200, json: { balances: { [BOB]: '2000', [CAROL]: '500' } } });
    // Refused commands name the field and are recorded.
    const beyond = await post('/plants/wind-1/shares/issue', { holderId: ALICE, sharesW: '2' });
    expect(beyond).toMatchObject({ status: 422, json: { code: 'BEYOND_CAPACITY', errors: [{ field: 'sharesW' }] } });
    const malformed = await post('/plants/pv-1/shares/transfer', { fromHolderId: BOB, toHolderId: CAROL, sharesW: '-5' });
    expect(malformed).toMatchObject({ status: 400, json: { code: 'INVALID_FIELD', errors: [{ field: 'sharesW' }] } });
    expect((await post('/plants/pv-1/shares/transfer', { fromHolderId: CAROL, toHolderId: BOB, sharesW: '501' })).json).toMatchObject({ code: 'INSUFFICIENT_SHARES' });
    expect(await query<{ field: string; reason: string }>(`SELECT field, reason FROM rejected_inputs ORDER BY id`)).toEqual([
      { field: 'sharesW', reason: expect.stringMatching(/^BEYOND_CAPACITY: /) },
      { field: 'sharesW', reason: expect.stringMatching(/^INVALID_FIELD: /) },
      { field: 'sharesW', reason: expect.stringMatching(/^INSUFFICIENT_SHARES: /) },
    ]);
    expect(await get('/plants/pv-1')).toMatchObject({ issuedW: '7500' });
    expect(await get('/plants/pv-1/holdings')).toMatchObject({ items: [{ holderId: ALICE, sharesW: '5000' }, { holderId: BOB, sharesW: '2000' }, { holderId: CAROL, sharesW: '500' }], next: null });

    // Part of P arrives: the plant's output and alice's consumption, plus a meter that is not ours.
    await messaging.publishEvent(MeterIntervalsMeasured, intervals('BG-A', 'run1-A', [['M-PV-1', P, 'production', values[P]['M-PV-1']], ['M-C-A', P, 'consumption', values[P]['M-C-A']], ['M-OTHER', P, 'consumption', 77n]]), 'BG-A');
    await waitFor(async () => (await query<{ n: number }>(`SELECT count(*)::int AS n FROM inbox`))[0].n === 1, { timeoutMs: 15_000, what: 'the first batch consumed' });

    // SIGKILL mid-period: P is incomplete.
    await service.kill();
    service = undefined;
    expect(await query(`SELECT * FROM allocation_versions`)).toEqual([]);

    // While it is down, the rest arrives (bob's and carol's consumption, the wind output, prices, all of P+1).
    await messaging.publishEvent(MeterIntervalsMeasured, intervals('BG-B', 'down-B', [['M-W-1', P, 'production', values[P]['M-W-1']], ['M-C-B', P, 'consumption', values[P]['M-C-B']]]), 'BG-B');
    await messaging.publishEvent(MarketPricesPublished, price(P, PRICE));
    await messaging.publishEvent(MarketPricesPublished, price(P1, PRICE));
    const p1Entries = Object.entries(values[P1]).map(([meterId, wh]) => [meterId, P1, meterId.startsWith('M-C') ? 'consumption' : 'production', wh] as [string, string, 'production' | 'consumption', bigint]);
    await messaging.publishEvent(MeterIntervalsMeasured, intervals('BG-C', 'down-C', [['M-C-C', P, 'consumption', values[P]['M-C-C']], ...p1Entries]), 'BG-C');
    // The first batch again (an MPO re-send): same id, dropped or deduplicated by the inbox.
    const resend = await messaging.publishEvent(MeterIntervalsMeasured, intervals('BG-A', 'run1-A', [['M-PV-1', P, 'production', values[P]['M-PV-1']], ['M-C-A', P, 'consumption', values[P]['M-C-A']], ['M-OTHER', P, 'consumption', 77n]]), 'BG-A');
    expect(resend.duplicate).toBe(true);

    // Run 2: the clock stands after P+1 has ended.
    service = await spawnService({ entry: ENTRY, env: env('2026-03-29T01:35:00Z'), readyTimeoutMs: 60_000 });
    await waitFor(async () => (await query(`SELECT 1 FROM allocation_versions`)).length === 2, { timeoutMs: 30_000, what: 'P and P+1 computed' });
    const versions = await query<{ period_id: string; version: number; reason: string }>(`SELECT period_id, version, reason FROM allocation_versions ORDER BY period_id`);
    expect(versions).toEqual([
      { period_id: P, version: 1, reason: 'complete' },
      { period_id: P1, version: 1, reason: 'complete' },
    ]);

    // Equal to the pure computation over the same inputs.
    for (const periodId of [P, P1]) {
      const expected = computePeriodAllocation({
        periodId,
        energyPricePerMWh: PRICE,
        plants,
        holders: new Map(holders.map((h) => [h.holderId, h])),
        holdings,
        outputWh: new Map(Object.entries(values[periodId])),
        consumptionWh: new Map(Object.entries(values[periodId])),
      });
      const rows = await query<Record<string, string>>(
        `SELECT holder_id, allocated_wh::text, consumed_wh::text, residual_wh::text, surplus_wh::text, capacity_fee_cents::text, residual_cost_cents::text, surplus_revenue_cents::text
         FROM holder_allocations WHERE period_id = $1 ORDER BY holder_id COLLATE "C"`,
        [periodId],
      );
      expect(rows).toEqual(
        expected.holders.map((h) => ({
          holder_id: h.holderId,
          allocated_wh: h.allocatedWh.toString(),
          consumed_wh: h.consumedWh.toString(),
          residual_wh: h.residualWh.toString(),
          surplus_wh: h.surplusWh.toString(),
          capacity_fee_cents: h.capacityFeeCents.toString(),
          residual_cost_cents: h.residualCostCents.toString(),
          surplus_revenue_cents: h.surplusRevenueCents.toString(),
        })),
      );
      const plantRows = await query<{ plant_id: string; output_wh: string; allocated_to_holders_wh: string; operator_wh: string }>(
        `SELECT plant_id, output_wh::text, allocated_to_holders_wh::text, operator_wh::text FROM plant_allocations WHERE period_id = $1 ORDER BY plant_id`,
        [periodId],
      );
      for (const row of plantRows) expect(BigInt(row.allocated_to_holders_wh) + BigInt(row.operator_wh)).toBe(BigInt(row.output_wh));
    }
    // P: pv 1001 Wh → alice 501, bob 200, carol 50, operator 250; wind 10 Wh → bob 3 (+1 tie), carol 3, operator 3.
    const p = await query<{ holder_id: string; allocated_wh: string; surplus_wh: string; residual_wh: string }>(
      `SELECT holder_id, allocated_wh::text, surplus_wh::text, residual_wh::text FROM holder_allocations WHERE period_id = $1 ORDER BY holder_id COLLATE "C"`,
      [P],
    );
    expect(p).toEqual([
      { holder_id: ALICE, allocated_wh: '501', surplus_wh: '201', residual_wh: '0' },
      { holder_id: BOB, allocated_wh: '204', surplus_wh: '0', residual_wh: '796' },
      { holder_id: CAROL, allocated_wh: '53', surplus_wh: '53', residual_wh: '0' },
    ]);
    // No banking: alice's 201 Wh surplus of P is gone in P+1.
    const aliceP1 = await query<{ allocated_wh: string; residual_wh: string }>(`SELECT allocated_wh::text, residual_wh::text FROM holder_allocations WHERE period_id = $1 AND holder_id = $2`, [P1, ALICE]);
    expect(aliceP1).toEqual([{ allocated_wh: '0', residual_wh: '400' }]);

    // Every posting balances; the plant operator got the fees.
    const unbalanced = await query(`SELECT posting_id FROM ledger_entries GROUP BY posting_id HAVING sum(amount_cents) <> 0`);
    expect(unbalanced).toEqual([]);
    const postings = await query<{ n: number }>(`SELECT count(DISTINCT posting_id)::int AS n FROM ledger_entries`);
    expect(postings[0].n).toBeGreaterThan(6);

    // The events: one allocation part per period, exchanges per group pair, each once.
    // The stream also holds the share registry's records (capacity.shares.recorded); these are the settlement's.
    const settlementEvents = async () => (await capacityEvents()).filter((e) => e.subject === CapacityAllocationComputed.subject() || e.subject === CapacityExchangeScheduled.subject());
    await waitFor(async () => (await settlementEvents()).length >= 2 + 3, { timeoutMs: 15_000, what: 'capacity events published' });
    const published = await settlementEvents();
    const allocationsOut = published.filter((e) => e.subject === CapacityAllocationComputed.subject());
    expect(allocationsOut.map((e) => [e.data.periodId, e.data.version, e.data.part, e.data.partCount])).toEqual([
      [P, 1, 0, 1],
      [P1, 1, 0, 1],
    ]);
    const exchangesOut = published.filter((e) => e.subject === CapacityExchangeScheduled.subject()).map((e) => [e.data.periodId, e.data.fromGroup, e.data.toGroup, e.data.energyWh, e.data.version]);
    // P: pv (BG-A) → bob (BG-B) 200 + carol (BG-C) 50; wind (BG-B) → carol (BG-C) 3. P+1 produced nothing.
    expect(exchangesOut).toEqual([
      [P, 'BG-A', 'BG-B', '200', 1],
      [P, 'BG-A', 'BG-C', '50', 1],
      [P, 'BG-B', 'BG-C', '3', 1],
    ]);
    expect(new Set(published.map((e) => e.id)).size).toBe(published.length);

    // Statements over HTTP.
    const statement = await get(`/holders/${BOB}/statement?period=${encodeURIComponent(P)}`, keys.bob);
    expect(statement).toMatchObject({ computed: true, version: 1, allocatedWh: '204', consumedWh: '1000', residualWh: '796', residualCostCents: '6' });
    expect(statement.plants).toEqual([
      { plantId: 'pv-1', sharesW: '2000', allocatedWh: '200' },
      { plantId: 'wind-1', sharesW: '1', allocatedWh: '4' },
    ]);

    // A late correction of alice's consumption in P: version 2, version 1's postings reversed.
    await messaging.publishEvent(MeterIntervalsMeasured, intervals('BG-A', 'late-A', [['M-C-A', P, 'consumption', 900n]]), 'BG-A');
    await waitFor(async () => (await query(`SELECT 1 FROM allocation_versions WHERE period_id = $1 AND version = 2`, [P])).length === 1, { timeoutMs: 15_000, what: 'P version 2' }).catch(
      (error: unknown) => {
        // The service's own log says why, if it ever comes to this.
        throw new Error(`${error instanceof Error ? error.message : String(error)}\n${service?.output()}`);
      },
    );
    const alice = await get(`/holders/${ALICE}/statement?period=${encodeURIComponent(P)}`, keys.alice);
    expect(alice).toMatchObject({ version: 2, allocatedWh: '501', consumedWh: '900', residualWh: '399', surplusWh: '0' });
    const aliceBalance = await query<{ sum: string }>(`SELECT sum(amount_cents)::text AS sum FROM ledger_entries WHERE account = $2 AND period_id = $1`, [P, `holder:${ALICE}`]);
    // Net effect equals version 2 alone: fee 1500 + residual 399 Wh × 80 €/MWh = 3.192 → 3 cents.
    expect(aliceBalance[0].sum).toBe('-1503');
    expect(await query(`SELECT posting_id FROM ledger_entries GROUP BY posting_id HAVING sum(amount_cents) <> 0`)).toEqual([]);
    const month = await get(`/holders/${ALICE}/statement?month=2026-03`, keys.alice);
    expect(month).toMatchObject({ periods: 2, allocatedWh: '501', consumedWh: '1300', balanceChangeCents: (-1503n - 1500n - 3n).toString() });
  }, 120_000);
});
