import { Wallet } from 'ethers';
import { BALANCING_PROOF_SUBJECT } from '@gridledger/events';
import { meterLeafValues } from '@gridledger/domain';
import { expectProblem } from '@gridledger/testing';
import { BridgeHarness, KEYS, settledPeriod } from './bridge.harness';

/**
 * chain-bridge's and chain-finalizer's `session` rows of docs/authorization.md, against both
 * processes: without a session 401, a session of a key without the role 403 (and nothing asked
 * of balancing), the market operator reads alarms, a proof reader's address is forwarded to
 * balancing as `reader`. The `open` rows stay open.
 */
const PERIOD = '2026-03-29T01:00:00Z';
const PROOF = `/proofs/GRP-ALPHA/${PERIOD}/DE-A-1`;

describe('chain-bridge and chain-finalizer: who may read what', () => {
  const harness = new BridgeHarness();
  /** What the stand-in for balancing was asked: one entry per proof request that reached it. */
  const asked: { meterId: string; reader: string | undefined }[] = [];

  beforeAll(async () => {
    await harness.setUp();
    const alpha = await settledPeriod({ groupId: 'GRP-ALPHA', periodId: PERIOD, version: 1, meters: [{ meterId: 'DE-A-1', direction: 1, energyWh: 1_000n }] });
    // Balancing's part (which meter is the reader's) is balancing's own test; this stand-in answers every proof it is asked.
    harness.messaging.serve(BALANCING_PROOF_SUBJECT, async (body) => {
      const request = body as { groupId: string; periodId: string; meterId: string; reader?: string };
      asked.push({ meterId: request.meterId, reader: request.reader });
      return { ok: true, groupId: request.groupId, periodId: request.periodId, version: 1, leaf: meterLeafValues(alpha.leaves[0]), leafHash: alpha.tree.leafHash(0), proof: alpha.tree.proof(0), root: alpha.tree.root };
    });
    await harness.startBridge({ LOG_LEVEL: 'error' });
  }, 180_000);

  afterAll(() => harness.tearDown());

  const processes = ['bridge', 'finalizer'] as const;

  for (const process of processes) {
    describe(`GET /alarms (${process === 'bridge' ? 'chain-bridge' : 'chain-finalizer'}): session, MARKET_OPERATOR`, () => {
      it('refuses a request without a session (401) and a malformed one (401)', async () => {
        await expectProblem(await harness.read('/alarms', undefined, process), { status: 401, field: 'authorization' });
        const forged = await fetch(`${(process === 'bridge' ? harness.bridge : harness.finalizer)?.url}/alarms`, { headers: { authorization: 'SIWE bm90LWEtbWVzc2FnZQ.0x00' } });
        await expectProblem(forged, { status: 401, field: 'authorization' });
      });

      it('refuses a session of a key without the role (403): no role at all, or another role', async () => {
        for (const key of [KEYS.stranger, KEYS.mpo, KEYS.tso]) {
          const problem = await expectProblem(await harness.read('/alarms', key, process), { status: 403, code: 'MISSING_ROLE', field: 'authorization' });
          expect(problem.detail).toContain(new Wallet(key).address);
          expect(problem.detail).toContain('MARKET_OPERATOR');
        }
      });

      it("reads the alarms in the market operator's session", async () => {
        const response = await harness.read('/alarms', KEYS.operator, process);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ items: [], next: null });
      });
    });
  }

  describe('GET /proofs/{groupId}/{periodId}/{meterId}: session, the meter’s MPO or supplier, MARKET_OPERATOR', () => {
    it('refuses a request without a session (401) and asks balancing nothing', async () => {
      await expectProblem(await harness.read(PROOF, undefined), { status: 401, field: 'authorization' });
      expect(asked).toEqual([]);
    });

    it('refuses a session of a key without a role in the group (403) and asks balancing nothing', async () => {
      await expectProblem(await harness.read(PROOF, KEYS.stranger), { status: 403, code: 'MISSING_ROLE', field: 'authorization' });
      // The MPO of GRP-ALPHA is nobody's reader in GRP-BETA.
      await expectProblem(await harness.read(`/proofs/GRP-BETA/${PERIOD}/DE-B-1`, KEYS.mpo), { status: 403, code: 'MISSING_ROLE', field: 'authorization' });
      // The TSO finalizes periods; meters' values are not its to read.
      await expectProblem(await harness.read(PROOF, KEYS.tso), { status: 403, code: 'MISSING_ROLE', field: 'authorization' });
      expect(asked).toEqual([]);
    });

    it("forwards the session's address to balancing as the reader: the group's MPO, the market operator", async () => {
      for (const key of [KEYS.mpo, KEYS.operator]) {
        const response = await harness.read(PROOF, key);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ meterId: 'DE-A-1', leaf: ['DE-A-1', expect.any(String), 1, '1000', expect.any(String)] });
      }
      expect(asked).toEqual([
        { meterId: 'DE-A-1', reader: new Wallet(KEYS.mpo).address },
        { meterId: 'DE-A-1', reader: new Wallet(KEYS.operator).address },
      ]);
    });
  });

  describe('open rows stay open', () => {
    it('serves commits, finalizations, health, metrics and the API documents without a session', async () => {
      expect((await harness.read(`/commits/GRP-ALPHA/${PERIOD}`, undefined)).status).toBe(200);
      await expectProblem(await harness.read(`/finalizations/${PERIOD}`, undefined, 'finalizer'), { status: 404, code: 'NO_FINALIZATION' });
      for (const process of processes) {
        for (const path of ['/health/live', '/health/ready', '/metrics', '/docs/openapi.json']) {
          expect([path, (await harness.read(path, undefined, process)).status]).toEqual([path, 200]);
        }
      }
    });
  });
});
