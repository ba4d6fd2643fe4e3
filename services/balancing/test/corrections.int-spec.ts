import { Wallet } from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { METER_LEAF_TYPES, formatInstant, parsePeriodId, periodIdOf, priceEnergy } from '@gridledger/domain';
import { BalancingProofReply, ChainPeriodConfirmed, MeterPointsRegistered } from '@gridledger/events';
import { MessagingClient } from '@gridledger/messaging';
import { SpawnedService, TestDatabase, expectProblem, waitFor } from '@gridledger/testing';
import { BalancingUnderTest, publishMeasured, saltedLeaf, startBalancing } from './support/balancing-under-test';

/**
 * Deadline closure with substitutes, pricing after settlement, corrections and schedules as
 * new versions (a settled version is never edited), a silent group, chain confirmation, the
 * ledger, and bad input, against the service process over real NATS and Postgres.
 */
const MPO = `0x${'33'.repeat(20)}`;
const DSO = `0x${'44'.repeat(20)}`;
// A period that ended an hour ago: with BALANCING_GATE_DEADLINE_MS=1 its gate closes by deadline.
const PERIOD = periodIdOf(Date.now() - 3_600_000);
const START_MS = parsePeriodId(PERIOD);
const PREVIOUS_DAY = formatInstant(START_MS - 86_400_000);
const START_SECONDS = String(START_MS / 1000);

interface Version {
  version: number;
  trigger: string;
  feedInWh: string;
  feedOutWh: string;
  scheduleNetWh: string;
  imbalanceWh: string;
  imbalancePricePerMWh: string | null;
  imbalanceAmount: string | null;
  merkleRoot: string;
  meterCount: number;
  substitutedCount: number;
}

describe('balancing corrections, deadline and prices', () => {
  let balancing: BalancingUnderTest;
  const brpX = Wallet.createRandom() as unknown as Wallet;
  let db: TestDatabase;
  let messaging: MessagingClient;
  let service: SpawnedService;

  beforeAll(async () => {
    balancing = await startBalancing('balancing-corrections-test', { BALANCING_SETTLE_INTERVAL_MS: '150', BALANCING_GATE_DEADLINE_MS: '1' });
    ({ db, messaging, service } = balancing);
    // BG-X's BRP sends the schedule below (the mirror has the grant long before).
    await balancing.roles.grant('BRP', 'BG-X', brpX.address);
  });

  afterAll(async () => {
    await balancing?.stop();
  });

  function sendValues(groupId: string, periodId: string, values: [string, 'production' | 'consumption', string][], periodLength: 'PT15M' | 'PT60M' = 'PT15M') {
    return publishMeasured(messaging, { mpo: MPO, groupId, periodId, values, periodLength });
  }

  async function period(groupId: string): Promise<{ status: string; versions: Version[] }> {
    const response = await balancing.roles.read(`${service.url}/groups/${groupId}/periods/${PERIOD}`);
    return (await response.json()) as { status: string; versions: Version[] };
  }

  async function untilVersion(groupId: string, version: number): Promise<Version[]> {
    const result = await waitFor(
      async () => {
        const response = await balancing.roles.read(`${service.url}/groups/${groupId}/periods/${PERIOD}`);
        if (response.status !== 200) return undefined;
        const body = (await response.json()) as { versions: Version[] };
        return body.versions.length >= version ? body.versions : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 150, what: `${groupId} version ${version}` },
    );
    return result;
  }

  const sql = <T>(text: string, values: unknown[] = []): Promise<T[]> => db.query<T>(text, values);

  it('settles by deadline with substitutes, then prices, corrects and reschedules in new versions', async () => {
    await messaging.publishEvent(
      MeterPointsRegistered,
      MeterPointsRegistered.create({
        data: {
          requestedBy: 'operator',
          points: [
            ['X1', 'production', 'BG-X'],
            ['X2', 'consumption', 'BG-X'],
            ['X3', 'consumption', 'BG-X'],
            ['Y1', 'consumption', 'BG-Y'],
          ].map(([meterId, direction, groupId]) => ({
            meterId,
            direction: direction as 'production' | 'consumption',
            mpo: MPO,
            dso: DSO,
            groupId,
            supplier: null,
            connectionLimitW: '30000',
            validFrom: formatInstant(START_MS - 2 * 86_400_000),
            validTo: null,
          })),
        },
        idParts: ['registry'],
        occurredAt: new Date(),
      }),
    );
    // X3 reported yesterday in the same period: that is its substitute today.
    await sendValues('BG-X', PREVIOUS_DAY, [['X3', 'consumption', '500']]);
    await sendValues('BG-X', PERIOD, [
      ['X1', 'production', '1000'],
      ['X2', 'consumption', '300'],
    ]);

    // Version 1 by deadline: X3 substituted (previous day), no price yet; BG-Y, silent, substituted with zero.
    const [v1] = await untilVersion('BG-X', 1);
    expect(v1).toMatchObject({ version: 1, trigger: 'deadline', feedInWh: '1000', feedOutWh: '800', imbalanceWh: '200', imbalancePricePerMWh: null, imbalanceAmount: null, meterCount: 3, substitutedCount: 1 });
    const [y1] = await untilVersion('BG-Y', 1);
    expect(y1).toMatchObject({ trigger: 'deadline', feedOutWh: '0', meterCount: 1, substitutedCount: 1 });
    const v1Row = await sql(`SELECT * FROM balancing.period_versions WHERE group_id = 'BG-X' AND period_id = $1 AND version = 1`, [PERIOD]);

    // The price arrives: version 2, same energy and root, now priced.
    const badPrice = await balancing.roles.signed(service.url, { method: 'PUT', path: `/prices/${PERIOD}`, body: { imbalancePricePerMWh: '-' } });
    expect((await expectProblem(badPrice, { status: 400, code: 'INVALID_FIELD', field: 'imbalancePricePerMWh' })).errors[0].reason).toBe('must be integer minor units as a decimal string');
    const put = await balancing.roles.signed(service.url, { method: 'PUT', path: `/prices/${PERIOD}`, body: { imbalancePricePerMWh: '25050' } });
    expect(put.status).toBe(200);
    const v2 = (await untilVersion('BG-X', 2))[1];
    expect(v2).toMatchObject({ version: 2, trigger: 'priced', imbalancePricePerMWh: '25050', imbalanceAmount: String(priceEnergy(200n, 25050n)) });
    // The same leaves, salted anew for version 2: another root, which reveals nothing of what changed.
    expect(v2.merkleRoot).not.toBe(v1.merkleRoot);

    // BG-Y's priced version 2 first: had X3 arrived while BG-Y was still settling, both
    // changes would share one market summary revision (BG-X dirty again), not one each.
    await untilVersion('BG-Y', 2);

    // X3's real value: version 3, a correction without substitutes.
    await sendValues('BG-X', PERIOD, [['X3', 'consumption', '200']]);
    const v3 = (await untilVersion('BG-X', 3))[2];
    expect(v3).toMatchObject({ version: 3, trigger: 'correction', feedOutWh: '500', imbalanceWh: '500', substitutedCount: 0, imbalanceAmount: String(priceEnergy(500n, 25050n)) });

    // A schedule BG-X → BG-Y: corrections of both groups.
    const badSchedule = await balancing.roles.signed(service.url, { method: 'POST', path: '/schedules', body: { scheduleId: 's1', periodId: PERIOD, fromGroup: 'BG-X', toGroup: 'BG-X', energyWh: '100' } }, brpX);
    expect((await expectProblem(badSchedule, { status: 400, code: 'INVALID_FIELD', field: 'toGroup' })).errors[0].reason).toBe('must differ from fromGroup');
    const schedule = await balancing.roles.signed(service.url, { method: 'POST', path: '/schedules', body: { scheduleId: 's1', periodId: PERIOD, fromGroup: 'BG-X', toGroup: 'BG-Y', energyWh: '100' } }, brpX);
    expect(schedule.status).toBe(200);
    const v4 = (await untilVersion('BG-X', 4))[3];
    expect(v4).toMatchObject({ version: 4, trigger: 'correction', scheduleNetWh: '100', imbalanceWh: '400' });
    // BG-Y: v1 deadline, v2 priced (zero amount), v3 the schedule.
    const y3 = (await untilVersion('BG-Y', 3))[2];
    expect(y3).toMatchObject({ trigger: 'correction', scheduleNetWh: '-100', imbalanceWh: '100' });

    // Settled versions are never edited.
    expect(await sql(`SELECT * FROM balancing.period_versions WHERE group_id = 'BG-X' AND period_id = $1 AND version = 1`, [PERIOD])).toEqual(v1Row);

    // The books: balances derived from postings equal the latest amounts and sum to zero.
    const balances = (await (await balancing.roles.read(`${service.url}/ledger/balances`)).json()) as { total: string; items: { account: string; balance: string }[]; next: string | null };
    expect(balances).toMatchObject({ total: '0', next: null });
    expect(balances.items.find((a) => a.account === 'brp:BG-X')?.balance).toBe(String(priceEnergy(400n, 25050n)));
    expect(balances.items.find((a) => a.account === 'brp:BG-Y')?.balance).toBe(String(priceEnergy(100n, 25050n)));

    // The market-wide summary got a new revision for every change after closure; all published.
    const closures = await waitFor(
      async () => {
        const rows = await sql<{ payload: string; published_at: Date | null }>(`SELECT payload, published_at FROM balancing.outbox WHERE event_type = 'balancing.period.closed' ORDER BY position`);
        const ofPeriod = rows.filter((r) => JSON.parse(r.payload).data.periodId === PERIOD);
        return ofPeriod.length >= 4 && ofPeriod.every((r) => r.published_at !== null) ? ofPeriod : undefined;
      },
      { timeoutMs: 10_000, what: 'closed summaries to be published' },
    );
    const last = JSON.parse(closures[closures.length - 1].payload).data;
    expect(last.groups.map((g: { groupId: string; version: number }) => [g.groupId, g.version])).toEqual([
      ['BG-X', 4],
      ['BG-Y', 3],
    ]);
    expect(last.totals).toEqual({ feedInWh: '1000', feedOutWh: '500', scheduleNetWh: '0', imbalanceWh: '500' });

    // Version 1's proofs still verify against version 1's root, with the substitute in it.
    const proof = (await (await balancing.roles.read(`${service.url}/groups/BG-X/periods/${PERIOD}/proofs/X3?version=1`)).json()) as Extract<BalancingProofReply, { ok: true }>;
    expect(proof.leaf).toEqual(await saltedLeaf('BG-X', BigInt(START_SECONDS), 1, 'X3', 'consumption', 500n));
    expect(proof.root).toBe(v1.merkleRoot);
    expect(StandardMerkleTree.verify(v1.merkleRoot, [...METER_LEAF_TYPES], proof.leaf, proof.proof)).toBe(true);
    await expectProblem(await balancing.roles.read(`${service.url}/groups/BG-X/periods/${PERIOD}/proofs/NOPE`), { status: 404, code: 'NO_PROOF', field: 'meterId' });

    // Chain confirmation of BG-Y's latest version.
    await messaging.publishEvent(
      ChainPeriodConfirmed,
      ChainPeriodConfirmed.create({
        data: { groupId: 'BG-Y', periodId: PERIOD, version: 3, merkleRoot: y3.merkleRoot, chainId: 31337, contract: `0x${'55'.repeat(20)}`, txHash: `0x${'66'.repeat(32)}`, blockNumber: 7, blockHash: `0x${'77'.repeat(32)}`, confirmations: 3 },
        idParts: ['BG-Y', PERIOD, '3'],
        occurredAt: new Date(),
      }),
    );
    await waitFor(async () => (await period('BG-Y')).status === 'confirmed', { timeoutMs: 10_000, what: 'BG-Y to be confirmed' });

    // Bad input is dead-lettered with the field and reason; the service carries on.
    // A quarter past a full hour is no PT60M period start.
    await sendValues('BG-X', formatInstant(Math.floor(START_MS / 3_600_000) * 3_600_000 - 86_400_000 + 15 * 60_000), [['X1', 'production', '1']], 'PT60M');
    const deadLetter = await waitFor(
      async () => {
        const stream = messaging.streamName('DEADLETTER');
        const info = await messaging.jsm.streams.info(stream).catch(() => undefined);
        if (!info || info.state.messages === 0) return undefined;
        const message = await messaging.jsm.streams.getMessage(stream, { last_by_subj: messaging.subject('platform.message.deadlettered.METER') }).catch(() => undefined);
        return message ? JSON.parse(new TextDecoder().decode(message.data)) : undefined;
      },
      { timeoutMs: 20_000, what: 'the bad batch to be dead-lettered' },
    );
    expect(deadLetter.data.reason).toContain('series[0].periodId: not aligned to PT60M');
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/gridledger_balancing_versions_settled_total\{[^}]*trigger="correction"[^}]*\} [1-9]/);
    expect(metrics).toContain('gridledger_balancing_time_to_settle_seconds');
  }, 180_000);
});
