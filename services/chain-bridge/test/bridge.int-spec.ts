import { BALANCING_PROOF_SUBJECT, type EventEnvelope } from '@gridledger/events';
import { MeterLeaf, meterLeafValues } from '@gridledger/domain';
import { periodStartSeconds } from '@gridledger/contracts';
import { expectProblem } from '@gridledger/testing';
import { Wallet } from 'ethers';
import { BridgeHarness, KEYS, closedPeriod, settledPeriod } from './bridge.harness';
import { rootOfByPlainRpc } from './plain-rpc';

jest.setTimeout(120_000);

const PERIOD = '2026-03-29T01:00:00Z';
type Data = Record<string, unknown>;
const dataOf = (e: EventEnvelope) => e.data as Data;

/** A manifest digest as balancing puts it on a settled version (inputsDigest in @gridledger/settlement). */
const INPUTS_DIGEST = `0x${'1d'.repeat(32)}`;

describe('chain-bridge: settled periods in, confirmed periods out', () => {
  const harness = new BridgeHarness();

  beforeAll(() => harness.setUp());
  afterAll(() => harness.tearDown());

  it('commits every version, confirms it at depth, finalizes the period and serves proofs the contract verifies', async () => {
    const alpha = await settledPeriod({
      groupId: 'GRP-ALPHA',
      periodId: PERIOD,
      version: 1,
      meters: [
        { meterId: 'DE-A-1', direction: 1, energyWh: 5_000n },
        { meterId: 'DE-A-2', direction: 0, energyWh: 3_250n },
        { meterId: 'DE-A-3', direction: 0, energyWh: 1_000n },
      ],
      inputsDigest: INPUTS_DIGEST,
    });
    const beta = await settledPeriod({
      groupId: 'GRP-BETA',
      periodId: PERIOD,
      version: 1,
      meters: [
        { meterId: 'DE-B-1', direction: 1, energyWh: 700n },
        { meterId: 'DE-B-2', direction: 0, energyWh: 2_100n },
      ],
    });
    // A real responder for balancing's proof subject, answering from the same trees.
    const trees = new Map([
      ['GRP-ALPHA', alpha],
      ['GRP-BETA', beta],
    ]);
    const readers: string[] = [];
    const responder = harness.messaging.serve(BALANCING_PROOF_SUBJECT, async (body) => {
      const request = body as { groupId: string; periodId: string; meterId: string; reader: string };
      readers.push(request.reader);
      const period = trees.get(request.groupId);
      const index = period?.leaves.findIndex((leaf) => leaf.meterId === request.meterId) ?? -1;
      if (!period || index < 0) return { ok: false, error: `no meter ${request.meterId} in ${request.groupId} ${request.periodId}` };
      return {
        ok: true,
        groupId: request.groupId,
        periodId: request.periodId,
        version: 1,
        leaf: meterLeafValues(period.leaves[index]),
        leafHash: period.tree.leafHash(index),
        proof: period.tree.proof(index),
        root: period.tree.root,
      };
    });

    await harness.startBridge();
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    await harness.publishSettled(alpha.envelope, `00-${traceId}-1122334455667788-01`);
    await harness.publishSettled(beta.envelope);
    await harness.publishSettled(alpha.envelope); // a redelivered copy must change nothing

    const committed = await harness.waitForEvents('chain.period.committed', 2);
    expect(committed.map((e) => dataOf(e).groupId).sort()).toEqual(['GRP-ALPHA', 'GRP-BETA']);
    // Depth 2: each commit block plus one more.
    await harness.mine(2);
    const confirmed = await harness.waitForEvents('chain.period.confirmed', 2);
    for (const event of confirmed) {
      const data = dataOf(event);
      const expectedRoot = data.groupId === 'GRP-ALPHA' ? alpha.tree.root : beta.tree.root;
      expect(data).toMatchObject({ periodId: PERIOD, version: 1, merkleRoot: expectedRoot, confirmations: 2, contract: harness.cascadeAddress });
      // The chain itself, read with a bare eth_call, holds the same root.
      expect(await rootOfByPlainRpc(harness.anvil.url, harness.cascadeAddress, String(data.groupId), periodStartSeconds(PERIOD), 1)).toBe(expectedRoot);
    }
    expect(await harness.commitLogs('GRP-ALPHA', PERIOD)).toHaveLength(1);
    // The settled event's inputsDigest is committed with the version; a version without one commits zero.
    expect((await harness.commitLogs('GRP-ALPHA', PERIOD))[0].inputsDigest).toBe(INPUTS_DIGEST);
    expect((await harness.commitLogs('GRP-BETA', PERIOD))[0].inputsDigest).toBe(`0x${'00'.repeat(32)}`);
    // The trace that carried the settled batch goes on through the chain and out again.
    const alphaConfirmed = confirmed.find((e) => dataOf(e).groupId === 'GRP-ALPHA') as EventEnvelope;
    expect(harness.traceparentOf(alphaConfirmed.id)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));

    // The market-wide summary lets the TSO finalize once both groups are confirmed.
    await harness.publishClosed(closedPeriod(PERIOD, 1, [alpha.envelope, beta.envelope]));
    await waitForRow(harness, `SELECT status FROM chain_finalizer.period_finalization WHERE period_id = $1`, [PERIOD], (r) => r.status === 'included');
    await harness.mine(2);
    const [finalized] = await harness.waitForEvents('chain.period.finalized', 1);
    expect(dataOf(finalized)).toMatchObject({
      periodId: PERIOD,
      revision: 1,
      totals: { feedInWh: '5700', feedOutWh: '6350', scheduleNetWh: '0', imbalanceWh: '-650' },
    });

    // Proof API (a read session of the group's MPO, forwarded to balancing as the reader): leaf
    // and proof from balancing, anchor from the bridge, verified by the contract.
    const response = await harness.read(`/proofs/GRP-ALPHA/${PERIOD}/DE-A-2`, KEYS.mpo);
    expect(response.status).toBe(200);
    expect(readers).toEqual([new Wallet(KEYS.mpo).address]);
    const proof = (await response.json()) as Data;
    const anchor = confirmed.find((e) => dataOf(e).groupId === 'GRP-ALPHA') as EventEnvelope;
    expect(proof).toMatchObject({
      version: 1,
      leaf: ['DE-A-2', String(periodStartSeconds(PERIOD)), 0, '3250', meterLeafValues(alpha.leaves.find((leaf) => leaf.meterId === 'DE-A-2') as MeterLeaf)[4]],
      root: alpha.tree.root,
      onChainRoot: alpha.tree.root,
      rootMatchesChain: true,
      verifiedOnChain: true,
      anchor: { status: 'confirmed', txHash: dataOf(anchor).txHash, blockNumber: dataOf(anchor).blockNumber },
    });
    expect((await expectProblem(await harness.read(`/proofs/GRP-ALPHA/${PERIOD}/NOPE-9`, KEYS.mpo), { status: 404, code: 'NO_PROOF', field: 'meterId' })).detail).toContain('no meter NOPE-9');
    await expectProblem(await harness.read(`/proofs/GRP-ALPHA/2026-03-29T01:07:00Z/DE-A-2`, KEYS.mpo), { status: 400, code: 'INVALID_FIELD', field: 'periodId' });
    responder.unsubscribe();
    const unanswered = await harness.read(`/proofs/GRP-ALPHA/${PERIOD}/DE-A-2`, KEYS.operator);
    expect((await expectProblem(unanswered, { status: 502, code: 'BAD_GATEWAY' })).detail).toContain('balancing did not answer the proof request');
  });

  it('anchors a correction as the next version and re-finalizes the period', async () => {
    const corrected = await settledPeriod({
      groupId: 'GRP-BETA',
      periodId: PERIOD,
      version: 2,
      meters: [
        { meterId: 'DE-B-1', direction: 1, energyWh: 900n },
        { meterId: 'DE-B-2', direction: 0, energyWh: 2_100n },
      ],
    });
    await harness.publishSettled(corrected.envelope);
    await waitForRow(harness, `SELECT status FROM chain_bridge.period_commit WHERE group_id = 'GRP-BETA' AND version = 2`, [], (r) => r.status === 'included');
    await harness.mine(2);
    await harness.waitForEvents('chain.period.confirmed', 3);
    expect((await harness.commitLogs('GRP-BETA', PERIOD)).map((l) => l.version)).toEqual([1, 2]);
    expect(await rootOfByPlainRpc(harness.anvil.url, harness.cascadeAddress, 'GRP-BETA', periodStartSeconds(PERIOD), 2)).toBe(corrected.tree.root);

    const alpha = (await harness.query<{ source_payload: string }>(`SELECT source_payload FROM chain_bridge.period_commit WHERE group_id = 'GRP-ALPHA'`))[0];
    await harness.publishClosed(closedPeriod(PERIOD, 2, [JSON.parse(alpha.source_payload) as EventEnvelope, corrected.envelope]));
    await waitForRow(harness, `SELECT status FROM chain_finalizer.period_finalization WHERE period_id = $1 AND revision = 2`, [PERIOD], (r) => r.status === 'included');
    await harness.mine(2);
    const finalized = await harness.waitForEvents('chain.period.finalized', 2);
    expect(dataOf(finalized[1])).toMatchObject({ revision: 2, totals: { feedInWh: '5900', feedOutWh: '6350', imbalanceWh: '-450' } });
    expect(harness.bridge?.output()).not.toMatch(/"level":"error"/);
  });

  it('finds a finalization already on chain instead of sending it again', async () => {
    const [before] = await harness.query<{ tx_hash: string }>(`SELECT tx_hash FROM chain_finalizer.period_finalization WHERE period_id = $1`, [PERIOD]);
    const sent = await harness.query<{ n: number }>(`SELECT count(*)::int AS n FROM chain_finalizer.submission WHERE kind = 'finalize'`);
    // As if the bridge had lost track of it.
    await harness.query(`UPDATE chain_finalizer.period_finalization SET status = 'waiting', tx_hash = NULL, block_number = NULL, block_hash = NULL WHERE period_id = $1`, [PERIOD]);
    await waitForRow(harness, `SELECT status, tx_hash FROM chain_finalizer.period_finalization WHERE period_id = $1`, [PERIOD], (r) => r.status === 'confirmed');
    expect(await harness.query(`SELECT tx_hash FROM chain_finalizer.period_finalization WHERE period_id = $1`, [PERIOD])).toEqual([{ tx_hash: before.tx_hash }]);
    expect(await harness.query(`SELECT count(*)::int AS n FROM chain_finalizer.submission WHERE kind = 'finalize'`)).toEqual(sent);
  });
});

async function waitForRow(harness: BridgeHarness, sql: string, params: unknown[], done: (row: Record<string, unknown>) => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const rows = await harness.query<Record<string, unknown>>(sql, params);
    if (rows.length > 0 && rows.every(done)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${sql}: ${JSON.stringify(rows)}\n${harness.bridge?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
