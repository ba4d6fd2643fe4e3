import { Wallet } from 'ethers';
import { MARKET, type Role } from '@gridledger/auth';
import { formatInstant, parsePeriodId, periodIdOf } from '@gridledger/domain';
import { BALANCING_PROOF_SUBJECT, MeterPointsRegistered, type BalancingProofReply } from '@gridledger/events';
import type { MessagingClient } from '@gridledger/messaging';
import { AuthService, type RunningService } from '@gridledger/service-kit';
import { connectTestMessaging, createTestDatabase, deleteNamespaceStreams, expectProblem, randomNamespace, sessionHeaders, waitFor, type TestDatabase } from '@gridledger/testing';
import type { BalancingConfig } from '../src/config';
import { TEST_LEAF_SALT_KEY, publishMeasured } from './support/balancing-under-test';
import { bootstrapBalancing, startTestRoles, type TestRoles } from './support/roles';

jest.setTimeout(120_000);

/**
 * docs/authorization.md, section balancing, against a real RoleRegistry on anvil: per
 * `signed` and `session` row a request without credentials (401) and one by a key without the
 * role (403), reading back that nothing was written; a revoked role is refused; the proof
 * responder answers only the reader chain-bridge forwards when that reader may read.
 */
const PERIOD = periodIdOf(Date.now() - 3_600_000);
const START_MS = parsePeriodId(PERIOD);
const TOMORROW = periodIdOf(Date.now() + 86_400_000);
const TABLES = ['schedules', 'prices', 'group_periods', 'market_periods', 'period_versions', 'ledger_entries', 'outbox'];

const wallet = () => Wallet.createRandom() as unknown as Wallet;

describe('balancing: who may call what', () => {
  const namespace = randomNamespace();
  let db: TestDatabase;
  let roles: TestRoles;
  let service: RunningService<BalancingConfig>;
  let messaging: MessagingClient;
  const mpo = wallet();
  const supplier = wallet();
  const otherMpo = wallet();
  const brpA = wallet();
  const brpB = wallet();
  const tso = wallet();
  const stranger = wallet();

  const url = (path: string) => `${service.url}${path}`;
  const readAs = async (signer: Wallet, path: string) => fetch(url(path), { headers: await sessionHeaders(signer, roles.environment) });
  const unsigned = (method: string, path: string, body: unknown) => fetch(url(path), { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  async function counts(): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const table of TABLES) result[table] = (await service.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    return result;
  }

  /** Grants or revokes on chain and waits until balancing's mirror has it. */
  async function setRole(granted: boolean, role: Role, scope: string, account: string): Promise<void> {
    await (granted ? roles.chain.grant(role, scope, account) : roles.chain.revoke(role, scope, account));
    const mirror = service.app.get(AuthService).roles;
    await waitFor(() => mirror.has(role, scope, account) === granted, { timeoutMs: 10_000, what: `${role} of ${scope} ${granted ? 'granted' : 'revoked'} in the mirror` });
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    roles = await startTestRoles();
    await roles.grant('BRP', 'BG-A', brpA.address);
    await roles.grant('BRP', 'BG-B', brpB.address);
    await roles.grant('TSO', MARKET, tso.address);
    service = await bootstrapBalancing(db.url, namespace, roles, {
      BALANCING_REQUIRE_MANIFEST: 'false',
      BALANCING_LEAF_SALT_KEY: TEST_LEAF_SALT_KEY,
      BALANCING_GATE_DEADLINE_MS: '1',
      BALANCING_SETTLE_INTERVAL_MS: '150',
    });
    messaging = await connectTestMessaging({ namespace, name: 'balancing-authorization-test' });
    // Priced, so the settlement books amounts on the ledger.
    expect((await roles.signed(service.url, { method: 'PUT', path: `/prices/${PERIOD}`, body: { imbalancePricePerMWh: '10000' } })).status).toBe(200);
    // A-1 in BG-A (its MPO and supplier named), B-1 in BG-B (another MPO); settled by deadline.
    await messaging.publishEvent(
      MeterPointsRegistered,
      MeterPointsRegistered.create({
        data: {
          requestedBy: roles.operator.address,
          points: [
            { meterId: 'A-1', groupId: 'BG-A', mpo: mpo.address, supplier: supplier.address },
            { meterId: 'B-1', groupId: 'BG-B', mpo: otherMpo.address, supplier: null },
          ].map((point) => ({ ...point, direction: 'consumption' as const, dso: roles.operator.address, connectionLimitW: '30000', validFrom: formatInstant(START_MS - 86_400_000), validTo: null })),
        },
        idParts: ['authorization-registry'],
        occurredAt: new Date(),
      }),
    );
    await publishMeasured(messaging, { mpo: mpo.address, groupId: 'BG-A', periodId: PERIOD, values: [['A-1', 'consumption', '100']] });
    await publishMeasured(messaging, { mpo: otherMpo.address, groupId: 'BG-B', periodId: PERIOD, values: [['B-1', 'consumption', '200']] });
    await waitFor(
      async () => {
        for (const group of ['BG-A', 'BG-B']) {
          const response = await roles.read(url(`/groups/${group}/periods/${PERIOD}`));
          if (response.status !== 200 || !((await response.json()) as { latest: unknown }).latest) return false;
        }
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'BG-A and BG-B settled' },
    );
  }, 120_000);

  afterAll(async () => {
    await messaging?.close();
    await service?.close();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
    await roles?.stop();
  });

  describe('signed writes', () => {
    it('PUT /prices/{periodId}: 401 unsigned, 403 without MARKET_OPERATOR (a stranger, a BRP, the TSO); nothing written', async () => {
      const before = await counts();
      const call = { method: 'PUT', path: `/prices/${TOMORROW}`, body: { imbalancePricePerMWh: '5000' } };
      await expectProblem(await unsigned(call.method, call.path, call.body), { status: 401 });
      for (const signer of [stranger, brpA, tso]) await expectProblem(await roles.signed(service.url, call, signer), { status: 403, code: 'MISSING_ROLE', field: 'x-gl-signer' });
      expect(await counts()).toEqual(before);
      expect((await roles.signed(service.url, call)).status).toBe(200);
    });

    it('POST /schedules: 401 unsigned, 403 for a stranger and for the BRP of another group than fromGroup; nothing written', async () => {
      const before = await counts();
      const body = { scheduleId: 'auth-1', periodId: TOMORROW, fromGroup: 'BG-A', toGroup: 'BG-B', energyWh: '10' };
      const call = { method: 'POST', path: '/schedules', body };
      await expectProblem(await unsigned(call.method, call.path, body), { status: 401 });
      await expectProblem(await roles.signed(service.url, call, stranger), { status: 403, code: 'MISSING_ROLE', field: 'fromGroup' });
      // BG-B's BRP may not schedule energy out of BG-A (the receiving group has no say), nor may the market operator.
      await expectProblem(await roles.signed(service.url, call, brpB), { status: 403, code: 'MISSING_ROLE', field: 'fromGroup' });
      await expectProblem(await roles.signed(service.url, call), { status: 403, code: 'MISSING_ROLE', field: 'fromGroup' });
      expect(await counts()).toEqual(before);
      expect((await roles.signed(service.url, call, brpA)).status).toBe(200);
    });
  });

  describe('read sessions', () => {
    it('public market data stays open: the group periods list and the reconciliation', async () => {
      expect((await fetch(url('/groups/BG-A/periods'))).status).toBe(200);
      expect((await fetch(url('/reconciliation'))).status).toBe(200);
    });

    it("GET /groups/{group}/periods/{periodId}: the group's BRP, MARKET_OPERATOR, TSO; 401 without a session, 403 for others", async () => {
      const path = `/groups/BG-A/periods/${PERIOD}`;
      await expectProblem(await fetch(url(path)), { status: 401 });
      for (const reader of [stranger, brpB, mpo]) await expectProblem(await readAs(reader, path), { status: 403, code: 'MISSING_ROLE', field: 'authorization' });
      for (const reader of [brpA, tso, roles.operator]) expect((await readAs(reader, path)).status).toBe(200);
    });

    it("GET …/proofs/{meterId}: the meter's MPO and supplier, MARKET_OPERATOR; 401 without a session, 403 for others (its BRP, the TSO, another meter's MPO)", async () => {
      const path = `/groups/BG-A/periods/${PERIOD}/proofs/A-1`;
      await expectProblem(await fetch(url(path)), { status: 401 });
      for (const reader of [stranger, brpA, tso, otherMpo]) await expectProblem(await readAs(reader, path), { status: 403, code: 'MISSING_ROLE', field: 'authorization' });
      for (const reader of [mpo, supplier, roles.operator]) expect(await (await readAs(reader, path)).json()).toMatchObject({ ok: true, groupId: 'BG-A' });
      // Not yours and not there answer alike.
      await expectProblem(await readAs(mpo, `/groups/BG-B/periods/${PERIOD}/proofs/B-1`), { status: 403, code: 'MISSING_ROLE' });
      await expectProblem(await readAs(mpo, `/groups/BG-A/periods/${PERIOD}/proofs/NOPE`), { status: 403, code: 'MISSING_ROLE' });
    });

    it('GET /ledger/balances: MARKET_OPERATOR and TSO see every account, a BRP only its own; 401 without a session, 403 without a role', async () => {
      await expectProblem(await fetch(url('/ledger/balances')), { status: 401 });
      await expectProblem(await readAs(stranger, '/ledger/balances'), { status: 403, code: 'MISSING_ROLE', field: 'authorization' });
      for (const reader of [roles.operator, tso]) {
        const all = (await (await readAs(reader, '/ledger/balances')).json()) as { accounts: number; total: string; items: { account: string }[] };
        expect(all.items.map((item) => item.account)).toEqual(['brp:BG-A', 'brp:BG-B', 'tso']);
        expect(all).toMatchObject({ accounts: 3, total: '0' });
      }
      const own = (await (await readAs(brpA, '/ledger/balances')).json()) as { accounts: number; items: { account: string }[] };
      expect(own.items.map((item) => item.account)).toEqual(['brp:BG-A']);
      expect(own.accounts).toBe(1);
    });

    it('request balancing.proof.requested: answers the forwarded reader only when it may read the proof', async () => {
      const ask = (reader?: string) => messaging.request<BalancingProofReply>(BALANCING_PROOF_SUBJECT, { groupId: 'BG-A', periodId: PERIOD, meterId: 'A-1', ...(reader ? { reader } : {}) });
      for (const reader of [mpo, supplier, roles.operator]) expect(await ask(reader.address)).toMatchObject({ ok: true, groupId: 'BG-A' });
      // The reader in any hex case.
      expect(await ask(mpo.address.toLowerCase())).toMatchObject({ ok: true });
      for (const reader of [stranger, brpA, otherMpo]) {
        const refused = await ask(reader.address);
        expect(refused.ok).toBe(false);
        expect(!refused.ok && refused.error).toMatch(/^reader: .* may not read proofs of meter A-1/);
      }
      // Without a reader: chain-bridge's own request (only chain-bridge may request the subject).
      expect(await ask()).toMatchObject({ ok: true });
    });
  });

  it('a revoked role is refused at once: the BRP can neither schedule nor read its group, the revoked operator cannot set prices', async () => {
    const before = await counts();
    await setRole(false, 'BRP', 'BG-A', brpA.address);
    await expectProblem(await roles.signed(service.url, { method: 'POST', path: '/schedules', body: { scheduleId: 'auth-revoked', periodId: TOMORROW, fromGroup: 'BG-A', toGroup: 'BG-B', energyWh: '10' } }, brpA), { status: 403, code: 'MISSING_ROLE' });
    await expectProblem(await readAs(brpA, `/groups/BG-A/periods/${PERIOD}`), { status: 403, code: 'MISSING_ROLE' });
    await expectProblem(await readAs(brpA, '/ledger/balances'), { status: 403, code: 'MISSING_ROLE' });
    const formerOperator = wallet();
    await setRole(true, 'MARKET_OPERATOR', MARKET, formerOperator.address);
    await setRole(false, 'MARKET_OPERATOR', MARKET, formerOperator.address);
    await expectProblem(await roles.signed(service.url, { method: 'PUT', path: `/prices/${TOMORROW}`, body: { imbalancePricePerMWh: '6000' } }, formerOperator), { status: 403, code: 'MISSING_ROLE' });
    expect(await counts()).toEqual(before);
  });
});
