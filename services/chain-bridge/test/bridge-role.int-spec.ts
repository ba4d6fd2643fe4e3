import { Contract, JsonRpcProvider, Wallet, ZeroHash } from 'ethers';
import { SettlementCascadeArtifact, groupKey, periodStartSeconds } from '@gridledger/contracts';
import { rootOfByPlainRpc } from './plain-rpc';
import { BalancingPeriodSettled } from '@gridledger/events';
import { expectProblem, waitFor, walkPages } from '@gridledger/testing';
import { BridgeHarness, KEYS, closedPeriod, settledPeriod } from './bridge.harness';

jest.setTimeout(120_000);

describe('chain-bridge: refusals', () => {
  const harness = new BridgeHarness();

  beforeAll(async () => {
    await harness.setUp();
    // The bridge runs with a key that holds no BRP or MPO role for any group.
    await harness.startBridge({ CHAIN_COMMITTER_KEY: KEYS.stranger });
    // Committer and finalizer processes on a busy machine: more than the per-test timeout.
  }, 300_000);
  afterAll(() => harness.tearDown());

  it('reports a role violation once (recorded, alarmed, dead-lettered) and does not retry it', async () => {
    const periodId = '2026-03-29T04:00:00Z';
    const settled = await settledPeriod({ groupId: 'GRP-ALPHA', periodId, version: 1, meters: [{ meterId: 'M-1', direction: 1, energyWh: 10n }] });
    await harness.publishSettled(settled.envelope);

    const [rejected] = await harness.waitForEvents('chain.period.rejected', 1);
    const stranger = new Wallet(KEYS.stranger).address;
    expect(rejected.data).toMatchObject({
      groupId: 'GRP-ALPHA',
      periodId,
      version: 1,
      code: 'role-violation',
      contractError: 'CascadeUnauthorizedCommitter',
      reason: expect.stringContaining(stranger),
    });
    const [deadLettered] = await harness.waitForEvents('platform.message.deadlettered', 1);
    const letter = deadLettered.data as { stream: string; reason: string; payloadBase64: string };
    expect(letter.stream).toBe('BALANCING');
    expect(letter.reason).toContain('is not the BRP of group');
    expect(JSON.parse(Buffer.from(letter.payloadBase64, 'base64').toString()).id).toBe(settled.envelope.id);

    // Several rounds later: nothing sent, nothing retried, one alarm.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await harness.query(`SELECT status, attempts FROM chain_bridge.period_commit`)).toEqual([{ status: 'rejected', attempts: 0 }]);
    expect(await harness.query(`SELECT count(*)::int AS n FROM chain_bridge.submission`)).toEqual([{ n: 0 }]);
    expect(await harness.query(`SELECT kind, group_id FROM chain_bridge.chain_alarm`)).toEqual([{ kind: 'role-violation', group_id: 'GRP-ALPHA' }]);
    expect(harness.events('chain.period.rejected')).toHaveLength(1);
    expect(await harness.commitLogs('GRP-ALPHA', periodId)).toHaveLength(0);
    expect(harness.bridge?.output()).not.toContain(KEYS.stranger.slice(2));

    // Alarms are the market operator's (a read session, docs/authorization.md).
    const alarms = (await (await harness.read('/alarms', KEYS.operator)).json()) as { items: { kind: string; groupId: string; detail: string }[]; next: string | null };
    expect(alarms).toEqual({ items: [expect.objectContaining({ kind: 'role-violation', groupId: 'GRP-ALPHA', detail: expect.stringContaining(stranger) })], next: null });
    const commits = (await (await fetch(`${harness.bridge?.url}/commits/GRP-ALPHA/${periodId}`)).json()) as { versions: unknown[] };
    expect(commits.versions).toEqual([expect.objectContaining({ version: 1, status: 'rejected', txHash: null, attempts: 0 })]);
    // Errors are problem details: a bad page size, a malformed id, an unknown route.
    await expectProblem(await harness.read('/alarms?limit=0', KEYS.operator), { status: 400, code: 'INVALID_LIMIT', field: 'limit' });
    await expectProblem(await fetch(`${harness.bridge?.url}/commits/GRP-ALPHA/2026-03-29T04:07:00Z`), { status: 400, code: 'INVALID_FIELD', field: 'periodId' });
    await expectProblem(await fetch(`${harness.bridge?.url}/no-such-route`), { status: 404, code: 'NOT_FOUND', field: '(path)' });
  });

  it('dead-letters a settled event whose totals do not balance, naming the field', async () => {
    const good = await settledPeriod({ groupId: 'GRP-BETA', periodId: '2026-03-29T04:15:00Z', version: 1, meters: [{ meterId: 'M-2', direction: 1, energyWh: 10n }] });
    const data = (good.envelope as ReturnType<typeof BalancingPeriodSettled.create>).data;
    const unbalanced = BalancingPeriodSettled.create({ idParts: ['unbalanced'], occurredAt: new Date(), data: { ...data, imbalanceWh: '11' } });
    await harness.publishSettled(unbalanced);
    const letters = await harness.waitForEvents('platform.message.deadlettered', 2);
    expect((letters[1].data as { reason: string }).reason).toMatch(/imbalanceWh: 11 but feedInWh − feedOutWh − scheduleNetWh = 10/);
    expect(await harness.query(`SELECT count(*)::int AS n FROM chain_bridge.period_commit WHERE group_id = 'GRP-BETA'`)).toEqual([{ n: 0 }]);
  });

  it('the finalizer refuses, with an alarm, a summary whose group totals differ from what the group committed on chain', async () => {
    // The committer with the BRP's key now; the finalizer (the TSO's key) runs since beforeAll.
    await harness.bridge?.stop();
    await harness.startBridge({ CHAIN_COMMITTER_KEY: KEYS.brp });
    const periodId = '2026-03-29T05:30:00Z';
    const groups = await Promise.all(['GRP-ALPHA', 'GRP-BETA'].map((groupId, i) => settledPeriod({ groupId, periodId, version: 1, meters: [{ meterId: `M-${i}`, direction: 1, energyWh: 5n }] })));
    for (const group of groups) await harness.publishSettled(group.envelope);
    await harness.waitForEvents('chain.period.committed', 2);
    await harness.mine(2);
    await harness.waitForEvents('chain.period.confirmed', 2);
    // Balancing's summary says GRP-BETA fed in 6 Wh; its BRP committed 5 (the sums over groups still add up).
    const beta = (groups[1].envelope as ReturnType<typeof BalancingPeriodSettled.create>).data;
    const claimed = BalancingPeriodSettled.create({ idParts: ['claimed'], occurredAt: new Date(), data: { ...beta, feedInWh: '6', imbalanceWh: '6' } });
    await harness.publishClosed(closedPeriod(periodId, 1, [groups[0].envelope, claimed]));

    const reason = "GRP-BETA v1: feedInWh on chain 5, balancing's summary says 6";
    const status = await waitFor(
      async () => {
        const response = await fetch(`${harness.finalizer?.url}/finalizations/${periodId}`);
        const body = (await response.json()) as { status?: string; reason?: string };
        return body.status === 'rejected' ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the finalization refused' },
    );
    expect(status).toMatchObject({ periodId, revision: 1, status: 'rejected', reason });
    expect(await harness.query(`SELECT kind, detail FROM chain_finalizer.chain_alarm WHERE period_id = $1`, [periodId])).toEqual([{ kind: 'finalization-refused', detail: reason }]);
    expect(await harness.query(`SELECT count(*)::int AS n FROM chain_finalizer.submission WHERE kind = 'finalize'`)).toEqual([{ n: 0 }]);
    expect(harness.finalizer?.output()).toMatch(/"level":"error".*finalization-refused: will not finalize 2026-03-29T05:30:00Z/);
    const metrics = await (await fetch(`${harness.finalizer?.url}/metrics`)).text();
    expect(metrics).toMatch(/gridledger_chain_alarms_total\{[^}]*kind="finalization-refused"[^}]*\} 1/);
    const onChain = await new JsonRpcProvider(harness.anvil.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const cascade = new Contract(harness.cascadeAddress, SettlementCascadeArtifact.abi, onChain);
    expect((await cascade.getFunction('periodState')(periodStartSeconds(periodId)))[2]).toBe(false);
    onChain.destroy();
  }, 240_000);

  it('refuses to finalize with a key that lacks the TSO role: recorded and alarmed, not retried', async () => {
    await harness.bridge?.stop();
    await harness.startBridge({ CHAIN_COMMITTER_KEY: KEYS.brp, CHAIN_TSO_KEY: KEYS.stranger });
    const periodId = '2026-03-29T04:30:00Z';
    const groups = await Promise.all(['GRP-ALPHA', 'GRP-BETA'].map((groupId, i) => settledPeriod({ groupId, periodId, version: 1, meters: [{ meterId: `M-${i}`, direction: 1, energyWh: 5n }] })));
    for (const group of groups) await harness.publishSettled(group.envelope);
    await harness.waitForEvents('chain.period.committed', 4);
    await harness.mine(2);
    await harness.waitForEvents('chain.period.confirmed', 4);
    await harness.publishClosed(closedPeriod(periodId, 1, groups.map((g) => g.envelope)));

    const deadline = Date.now() + 20_000;
    for (;;) {
      const [row] = await harness.query<{ status: string; last_error: string }>(`SELECT status, last_error FROM chain_finalizer.period_finalization WHERE period_id = $1`, [periodId]);
      if (row?.status === 'rejected') {
        expect(row.last_error).toContain('CascadeUnauthorizedFinalizer');
        break;
      }
      if (Date.now() > deadline) throw new Error(`not rejected: ${JSON.stringify(row)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await harness.query(`SELECT count(*)::int AS n FROM chain_finalizer.submission WHERE kind = 'finalize'`)).toEqual([{ n: 0 }]);
    expect(await harness.query(`SELECT count(*)::int AS n FROM chain_finalizer.chain_alarm WHERE period_id = $1 AND kind = 'role-violation'`, [periodId])).toEqual([{ n: 1 }]);
    expect(harness.events('chain.period.finalized')).toHaveLength(0);
  }, 240_000);

  it('raises an alarm, and overwrites nothing, when the chain already holds the version with another root', async () => {
    const periodId = '2026-03-29T04:45:00Z';
    const foreignRoot = `0x${'ee'.repeat(32)}`;
    // Someone else with the BRP key committed this version first, with a different root.
    const provider = new JsonRpcProvider(harness.anvil.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const cascade = new Contract(harness.cascadeAddress, SettlementCascadeArtifact.abi, new Wallet(KEYS.brp, provider));
    await (await cascade.getFunction('commitPeriod')(groupKey('GRP-BETA'), periodStartSeconds(periodId), 1, [7n, 0n, 0n, 7n], foreignRoot, 1, ZeroHash)).wait();
    provider.destroy();

    const ours = await settledPeriod({ groupId: 'GRP-BETA', periodId, version: 1, meters: [{ meterId: 'M-9', direction: 1, energyWh: 7n }] });
    const sentBefore = (await harness.query<{ n: number }>(`SELECT count(*)::int AS n FROM chain_bridge.submission`))[0].n;
    await harness.publishSettled(ours.envelope);
    const rejected = await harness.waitForEvents('chain.period.rejected', 2);
    expect(rejected[1].data).toMatchObject({ groupId: 'GRP-BETA', periodId, version: 1, code: 'root-conflict', merkleRoot: ours.tree.root, chainRoot: foreignRoot, contractError: null });
    expect(await harness.query(`SELECT status FROM chain_bridge.period_commit WHERE period_id = $1`, [periodId])).toEqual([{ status: 'conflict' }]);
    expect(await harness.query(`SELECT kind FROM chain_bridge.chain_alarm WHERE period_id = $1`, [periodId])).toEqual([{ kind: 'root-conflict' }]);
    expect((await harness.query<{ n: number }>(`SELECT count(*)::int AS n FROM chain_bridge.submission`))[0].n).toBe(sentBefore);
    expect(await rootOfByPlainRpc(harness.anvil.url, harness.cascadeAddress, 'GRP-BETA', periodStartSeconds(periodId), 1)).toBe(foreignRoot);
    expect(harness.bridge?.output()).toMatch(/"level":"error".*root-conflict: GRP-BETA 2026-03-29T04:45:00Z v1/);
  });

  it('pages the alarms newest first: walking every page gives every alarm exactly once', async () => {
    const stored = await harness.query<{ id: string; kind: string }>(`SELECT id::text, kind FROM chain_bridge.chain_alarm ORDER BY id DESC`);
    expect(stored.length).toBeGreaterThan(1);
    const walked = await walkPages<{ id: number; kind: string }>(harness.bridge?.url ?? '', '/alarms?limit=1', await harness.session(KEYS.operator));
    expect(walked.items.map((alarm) => [String(alarm.id), alarm.kind])).toEqual(stored.map((row) => [row.id, row.kind]));
    expect(walked.pages).toBe(stored.length);
  });
});
