import { Wallet } from 'ethers';
import { MARKET, bodySha256 } from '@gridledger/auth';
import { deployRoleChain, type RoleChain } from '@gridledger/contracts';
import { formatInstant } from '@gridledger/domain';
import { BALANCING_PROOF_SUBJECT } from '@gridledger/events';
import type { MessagingClient } from '@gridledger/messaging';
import {
  anvilDevKey,
  connectTestMessaging,
  createTestDatabase,
  deleteNamespaceStreams,
  randomNamespace,
  signedFetch,
  startAnvil,
  waitFor,
  type AnvilInstance,
  type SpawnedService,
  type TestDatabase,
} from '@gridledger/testing';
import { spawnBalancing, spawnMeterIngest } from './services';

// A lost write: meter-ingest accepted a batch and published its measured event, and the event
// is gone from the stream before balancing reads it (deleted by hand, as JetStream may lose an
// acknowledged write). balancing must not settle that meter on a substitute: the manifest says
// what meter-ingest accepted, balancing's values do not match it, it asks for a re-send, and
// settles on the true values. Only the meter meter-ingest itself never heard from is substituted.

jest.setTimeout(180_000);

const GROUP = 'BG-LOST';
const LEAF_SALT_KEY = `0x${'5a'.repeat(32)}`;
// The market operator registers the meters; the MPO holds the MPO role of the group (docs/trust.md).
const operator = Wallet.createRandom();
const mpo = Wallet.createRandom();
const dso = Wallet.createRandom().address;
// A quarter hour that ended a while ago (intake refuses the future; the gate deadline is 1 ms).
const PERIOD = formatInstant(Math.floor((Date.now() - 3 * 3_600_000) / 900_000) * 900_000);
// Meters valid from a day before it: inside meter-ingest's correction window.
const VALID_FROM = formatInstant(Math.floor((Date.now() - 27 * 3_600_000) / 900_000) * 900_000);

describe('a measured event lost from the stream', () => {
  const namespace = randomNamespace();
  let ingestDb: TestDatabase;
  let balancingDb: TestDatabase;
  let meterIngest: SpawnedService;
  let balancing: SpawnedService | undefined;
  let messaging: MessagingClient;
  let anvil: AnvilInstance;
  let chain: RoleChain;

  beforeAll(async () => {
    anvil = await startAnvil();
    chain = await deployRoleChain(anvil.url, anvilDevKey(0));
    await chain.grant('MARKET_OPERATOR', MARKET, operator.address);
    await chain.grant('MPO', GROUP, mpo.address);
    [ingestDb, balancingDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    messaging = await connectTestMessaging({ namespace, name: 'integrity-test' });
    meterIngest = await spawnMeterIngest(ingestDb.url, namespace, chain);
  });

  afterAll(async () => {
    await balancing?.kill();
    await meterIngest?.kill();
    await messaging?.close();
    await deleteNamespaceStreams(namespace);
    await Promise.all([ingestDb?.drop(), balancingDb?.drop()]);
    chain?.close();
    await anvil?.stop();
  });

  it('settles the group-period on the true value after a re-send, substituting only the meter meter-ingest never received', async () => {
    const meters = [
      ['PV-1', 'production'],
      ['PV-2', 'production'],
      ['HH-1', 'consumption'],
      ['HH-SILENT', 'consumption'],
    ].map(([meterId, direction]) => ({ meterId, direction, mpo: mpo.address, dso, gridArea: 'GA-LOST', groupId: GROUP, supplier: null, connectionLimitW: '100000', validFrom: VALID_FROM }));
    const registered = await signedFetch(meterIngest.url, operator, chain.environment, { method: 'POST', path: '/meters', body: { meters } });
    expect(registered.status).toBe(201);

    await submit([['PV-1', '1200'], ['HH-1', '300']]);
    const lostBatch = await submit([['PV-2', '777']]);

    // Both measured events and the manifest (3 values) are in the stream; then one event is lost.
    const messages = await waitFor(async () => {
      const found = await streamMessages();
      return found.some((m) => m.subject.endsWith(`meter.manifest.updated.${GROUP}`) && m.data.data.count === 3) ? found : null;
    });
    const lost = messages.find((m) => m.subject.endsWith(`meter.intervals.measured.${GROUP}`) && m.data.data.batchId === lostBatch)!;
    expect(await messaging.jsm.streams.deleteMessage(messaging.streamName('METER'), lost.seq)).toBe(true);

    balancing = await startBalancing();
    const version = await waitFor(
      async () => {
        const rows = await query<{ version: number; trigger: string; feed_in_wh: string; feed_out_wh: string; meter_count: number; substituted_count: number; substitution_reason: string | null }>(
          balancingDb,
          `SELECT version, trigger, feed_in_wh, feed_out_wh, meter_count, substituted_count, substitution_reason FROM balancing.period_versions WHERE group_id = $1 AND period_id = $2 ORDER BY version`,
          [GROUP, PERIOD],
        );
        return rows.length > 0 ? rows : null;
      },
      { timeoutMs: 60_000 },
    );
    // One version, on the true values: PV-2's 777 Wh came by the re-send, not as a substitute.
    expect(version).toEqual([{ version: 1, trigger: 'deadline', feed_in_wh: '1977', feed_out_wh: '300', meter_count: 4, substituted_count: 1, substitution_reason: 'not-received-by-meter-ingest' }]);
    const values = await query<{ meter_id: string; energy_wh: string; substituted: boolean }>(
      balancingDb,
      `SELECT meter_id, energy_wh, substituted FROM balancing.meter_values WHERE group_id = $1 AND period_id = $2 AND replaced_seq IS NULL ORDER BY meter_id`,
      [GROUP, PERIOD],
    );
    expect(values).toEqual([
      { meter_id: 'HH-1', energy_wh: '300', substituted: false },
      { meter_id: 'HH-SILENT', energy_wh: '0', substituted: true },
      { meter_id: 'PV-1', energy_wh: '1200', substituted: false },
      { meter_id: 'PV-2', energy_wh: '777', substituted: false },
    ]);
    // Healed by whichever asked first: the settler at the deadline, or the reconciler's pass.
    const [group] = await query<{ awaiting_since: Date | null }>(balancingDb, `SELECT awaiting_since FROM balancing.group_periods WHERE group_id = $1 AND period_id = $2`, [GROUP, PERIOD]);
    expect(group.awaiting_since).toBeNull();
  });

  it('rebuilds from the log: a new, empty database and new consumers give the same versions, ledger and roots, from the streams plus meter-ingest\'s re-send', async () => {
    const books = async (db: TestDatabase) => ({
      versions: await query(db, `SELECT group_id, period_id, version, trigger, feed_in_wh, feed_out_wh, schedule_net_wh, imbalance_wh, imbalance_price_per_mwh, imbalance_amount, ledger_digest, merkle_root, meter_count, substituted_count, substitution_reason FROM balancing.period_versions ORDER BY group_id, period_id, version`),
      ledger: await query(db, `SELECT posting_id, account, debit, credit, group_id, period_id, version FROM balancing.ledger_entries ORDER BY posting_id, account`),
      values: await query(db, `SELECT group_id, period_id, meter_id, direction, energy_wh, substituted FROM balancing.meter_values WHERE replaced_seq IS NULL ORDER BY group_id, period_id, meter_id`),
    });
    const before = await books(balancingDb);
    expect(before.versions).toHaveLength(1);
    await balancing!.kill();
    await balancingDb.drop();
    balancingDb = await createTestDatabase();
    // The lost measured event is still missing from the stream: the manifest catches it again.
    balancing = await startBalancing('rebuilt');
    await untilRebuilt(1);
    expect(await books(balancingDb)).toEqual(before);
  });

  it('heals by reconciliation a late value whose measured event and manifest were both lost while balancing was down', async () => {
    await balancing!.kill();
    const late = await submit([['HH-SILENT', '50']]);
    const messages = await waitFor(async () => {
      const found = await streamMessages();
      return found.some((m) => m.subject.endsWith(`meter.manifest.updated.${GROUP}`) && m.data.data.count === 4) ? found : null;
    });
    for (const message of messages.filter((m) => (m.subject.endsWith(`meter.intervals.measured.${GROUP}`) && m.data.data.batchId === late) || (m.subject.endsWith(`meter.manifest.updated.${GROUP}`) && m.data.data.count === 4))) {
      expect(await messaging.jsm.streams.deleteMessage(messaging.streamName('METER'), message.seq)).toBe(true);
    }
    balancing = await startBalancing('rebuilt');
    // Nothing in the stream tells balancing; the reconciler sees meter-ingest's revision 2, asks for a re-send, and the correction settles.
    const versions = await waitFor(
      async () => {
        const rows = await query<{ version: number; trigger: string; feed_out_wh: string; substituted_count: number }>(balancingDb, `SELECT version, trigger, feed_out_wh, substituted_count FROM balancing.period_versions WHERE group_id = $1 AND period_id = $2 ORDER BY version`, [GROUP, PERIOD]);
        return rows.length === 2 ? rows : null;
      },
      { timeoutMs: 60_000 },
    );
    expect(versions[1]).toEqual({ version: 2, trigger: 'correction', feed_out_wh: '350', substituted_count: 0 });
    const state = await waitFor(async () => {
      const body = (await (await fetch(`${balancing!.url}/reconciliation`)).json()) as { checkedAt: string | null; drifts: { between: string }[]; unreachable: string[] };
      return body.checkedAt && body.drifts.every((drift) => drift.between !== 'meter-ingest↔balancing') ? body : null;
    });
    // capacity-market and chain-bridge do not run here: reported, not compared.
    expect(state.unreachable.map((text) => text.split(':')[0]).sort()).toEqual(['capacity-market', 'chain-bridge']);
    const metrics = await (await fetch(`${balancing!.url}/metrics`)).text();
    expect(metrics).toMatch(/gridledger_reconciliation_drift\{[^}]*between="meter-ingest↔balancing"[^}]*\} 0/);
  });

  it('heals a lost measured event long before the gate deadline: the reconciler sees the ended, open group-period lag its manifest', async () => {
    await balancing!.kill();
    const period = formatInstant(Date.parse(PERIOD) + 900_000);
    await submit([['PV-1', '500'], ['PV-2', '400'], ['HH-1', '100']], period);
    const lostBatch = await submit([['HH-SILENT', '20']], period);
    const messages = await waitFor(async () => {
      const found = await streamMessages();
      return found.some((m) => m.subject.endsWith(`meter.manifest.updated.${GROUP}`) && m.data.data.count === 4 && m.data.data.periodId === period) ? found : null;
    });
    const lost = messages.find((m) => m.subject.endsWith(`meter.intervals.measured.${GROUP}`) && m.data.data.batchId === lostBatch)!;
    expect(await messaging.jsm.streams.deleteMessage(messaging.streamName('METER'), lost.seq)).toBe(true);
    // A gate deadline a day away: without the reconciler the group-period would wait for it, then settle on a re-send.
    balancing = await startBalancing('before-deadline', { BALANCING_GATE_DEADLINE_MS: String(86_400_000) });
    const versions = await waitFor(
      async () => {
        const rows = await query<{ version: number; trigger: string; feed_out_wh: string; substituted_count: number }>(balancingDb, `SELECT version, trigger, feed_out_wh, substituted_count FROM balancing.period_versions WHERE group_id = $1 AND period_id = $2 ORDER BY version`, [GROUP, period]);
        return rows.length > 0 ? rows : null;
      },
      { timeoutMs: 60_000 },
    );
    expect(versions).toEqual([{ version: 1, trigger: 'complete', feed_out_wh: '120', substituted_count: 0 }]);
  });

  it('rebuilds a corrected history from the log: v1 and the correction v2 come back as they were, with their ledger and roots', async () => {
    const versionColumns = `group_id, period_id, version, trigger, feed_in_wh, feed_out_wh, schedule_net_wh, imbalance_wh, imbalance_price_per_mwh, imbalance_amount, ledger_digest, merkle_root, meter_count, substituted_count, substitution_reason`;
    const books = async (db: TestDatabase) => ({
      versions: await query(db, `SELECT ${versionColumns} FROM balancing.period_versions ORDER BY group_id, period_id, version`),
      ledger: await query(db, `SELECT posting_id, account, debit, credit, group_id, period_id, version FROM balancing.ledger_entries ORDER BY posting_id, account`),
      values: await query(db, `SELECT group_id, period_id, meter_id, direction, energy_wh, substituted FROM balancing.meter_values WHERE replaced_seq IS NULL ORDER BY group_id, period_id, meter_id`),
      closures: await query(db, `SELECT period_id, revision, groups_digest FROM balancing.period_closures ORDER BY period_id, revision`),
    });
    /** The values a version saw, read back by its watermark (what its proofs are built from). */
    const versionValues = (db: TestDatabase, version: number) =>
      query(
        db,
        `SELECT m.meter_id, m.direction, m.energy_wh, m.substituted FROM balancing.meter_values m JOIN balancing.period_versions v USING (group_id, period_id)
         WHERE v.group_id = $1 AND v.period_id = $2 AND v.version = $3 AND m.seq <= v.value_watermark AND (m.replaced_seq IS NULL OR m.replaced_seq > v.value_watermark)
         ORDER BY m.meter_id`,
        [GROUP, PERIOD, version],
      );
    const before = await books(balancingDb);
    // v1 at the deadline with HH-SILENT substituted, v2 the correction by its late value (and the next period's v1).
    expect(before.versions.filter((v) => (v as { period_id: string }).period_id === PERIOD)).toEqual([
      expect.objectContaining({ version: 1, trigger: 'deadline', substituted_count: 1 }),
      expect.objectContaining({ version: 2, trigger: 'correction', substituted_count: 0 }),
    ]);
    const [v1Values, v2Values] = [await versionValues(balancingDb, 1), await versionValues(balancingDb, 2)];
    expect(v1Values).toContainEqual({ meter_id: 'HH-SILENT', direction: 'consumption', energy_wh: '0', substituted: true });

    await balancing!.kill();
    await balancingDb.drop();
    balancingDb = await createTestDatabase();
    balancing = await startBalancing('rebuilt-twice');
    await untilRebuilt(before.versions.length);
    // A little longer: a wrong correction would show as a third version.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await books(balancingDb)).toEqual(before);
    // Each version's values by its watermark: v1 with the substitute made again (the replay never held it), v2 with the late value.
    expect(await versionValues(balancingDb, 1)).toEqual(v1Values);
    expect(await versionValues(balancingDb, 2)).toEqual(v2Values);

    // Proofs of both versions, from exactly their values, against their roots.
    const roots = await query<{ version: number; merkle_root: string }>(balancingDb, `SELECT version, merkle_root FROM balancing.period_versions WHERE group_id = $1 AND period_id = $2 ORDER BY version`, [GROUP, PERIOD]);
    for (const { version, merkle_root: root } of roots) {
      const proof = await messaging.request<{ ok: boolean; root?: string; leaf?: unknown[] }>(BALANCING_PROOF_SUBJECT, { groupId: GROUP, periodId: PERIOD, meterId: 'HH-SILENT', version }, 10_000);
      expect(proof).toMatchObject({ ok: true, root });
      // HH-SILENT's leaf: the substitute's 0 Wh in v1, the late 50 Wh in v2.
      expect(proof.leaf?.[3]).toBe(version === 1 ? '0' : '50');
    }
  });

  /** The versions adopted from the BALANCING stream, their values restored once the consumers caught up, nothing left to settle. */
  function untilRebuilt(versions: number): Promise<true> {
    return waitFor(async () => {
      const [state] = await query<{ versions: number; pending: number }>(
        balancingDb,
        `SELECT (SELECT count(*)::int FROM balancing.period_versions) AS versions, (SELECT count(*)::int FROM balancing.group_periods WHERE restore_pending OR dirty OR needs_check) AS pending`,
      ).catch(() => [{ versions: 0, pending: 1 }]);
      return state.versions === versions && state.pending === 0 ? true : null;
    }, { timeoutMs: 60_000 });
  }

  function startBalancing(consumerPrefix = 'balancing', overrides: Record<string, string> = {}): Promise<SpawnedService> {
    return spawnBalancing(balancingDb.url, namespace, chain, {
      BALANCING_RECONCILE_INTERVAL_MS: '500',
      BALANCING_CONSUMER_PREFIX: consumerPrefix,
      // One leaf salt key for the original and the rebuilt database, or the roots differ.
      BALANCING_LEAF_SALT_KEY: LEAF_SALT_KEY,
      ...overrides,
    });
  }


  async function submit(values: [string, string][], periodId = PERIOD): Promise<string> {
    const body = Buffer.from(JSON.stringify({ mpo: mpo.address, intervals: values.map(([meterId, energyWh]) => ({ meterId, periodId, energyWh })) }));
    const answer = (await (await signedFetch(meterIngest.url, mpo, chain.environment, { method: 'POST', path: '/readings', body, nonce: bodySha256(body) })).json()) as { status: string; batchId: string };
    expect(answer.status).toBe('accepted');
    return answer.batchId;
  }

  async function streamMessages(): Promise<{ seq: number; subject: string; data: { data: { batchId?: string; count?: number; periodId?: string } } }[]> {
    const stream = messaging.streamName('METER');
    const info = await messaging.jsm.streams.info(stream);
    const found: { seq: number; subject: string; data: { data: { batchId?: string; count?: number; periodId?: string } } }[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const message = await messaging.jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
      if (message) found.push({ seq, subject: message.subject, data: message.json() });
    }
    return found;
  }
});

function query<T>(db: TestDatabase, sql: string, params: unknown[] = []): Promise<T[]> {
  return db.query<T>(sql, params);
}
