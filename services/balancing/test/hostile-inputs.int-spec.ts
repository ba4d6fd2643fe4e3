import fc from 'fast-check';
import { Wallet } from 'ethers';
import { MARKET, signRequest, type AuthEnvironment, type RequestSigner } from '@gridledger/auth';
import { periodIdOf } from '@gridledger/domain';
import { CapacityExchangeScheduled, ChainPeriodConfirmed, MarketPricesPublished, MeterIntervalsMeasured, MeterPointsRegistered } from '@gridledger/events';
import { readDeadLetters, type MessagingClient } from '@gridledger/messaging';
import type { RunningService } from '@gridledger/service-kit';
import {
  connectTestMessaging,
  createTestDatabase,
  deleteNamespaceStreams,
  hostileEnvelopes,
  hostileJsonBodies,
  hostileMeasuredSeries,
  hostileObjects,
  hostilePeriodId,
  outOfBoundIntegerText,
  publishHostile,
  randomNamespace,
  reportHostile,
  sampleHostile,
  sendHostile,
  signatureAttacks,
  sendSignatureAttacks,
  expectedStatuses,
  type HostileRequest,
  type HostileTally,
  type TestDatabase,
} from '@gridledger/testing';
import type { BalancingConfig } from '../src/config';
import { balancingConsumerRefs } from '../src/ingest/balancing-consumers';
import { bootstrapBalancing, startTestRoles, type TestRoles } from './support/roles';

/**
 * 1,000 generated hostile requests per write endpoint and per intake subject (fast-check,
 * fixed seeds): each is refused with a 4xx problem naming field and reason, or dead-lettered
 * with them; nothing crashes and nothing is written. Hostile bodies are signed by the role
 * that may write (so they reach the parser behind the signature check); another 1,000 per
 * write endpoint attack the signature itself (`signatureAttacks`: none or malformed, a forged
 * signer header, a tampered body, expired or too far ahead, another chain or contract, a
 * replayed nonce, a wrong role).
 */
const PER_TARGET = Number(process.env.TEST_HOSTILE_COUNT ?? 1000);
const DAY = 86_400_000;
const WINDOW = { pastMs: 45 * DAY, aheadMs: 7 * DAY };
const NOW = Date.now();
const TOMORROW = periodIdOf(NOW + DAY);
const TABLES = ['schedules', 'prices', 'group_periods', 'market_periods', 'meter_points', 'meter_values', 'period_versions', 'ledger_entries', 'inbox', 'outbox'];
const ADDRESS = `0x${'ab'.repeat(20)}`;

const badGroup = fc.constantFrom('', '-BG', 'BG 1', 'BG/1', 'x'.repeat(65), 'ÄBG', '../BG');
const badText = fc.constantFrom('', ' ', 'x'.repeat(129), 'a b', '-lead', '../etc/passwd', 'é');

describe('balancing: 1,000 hostile inputs per write endpoint and intake subject', () => {
  const namespace = randomNamespace();
  let db: TestDatabase;
  let service: RunningService<BalancingConfig>;
  let publisher: MessagingClient;
  let roles: TestRoles;
  const tallies: HostileTally[] = [];
  /** BRP of BG-A (the valid schedule's fromGroup), of BG-B, and the TSO: roles that are not the one asked for. */
  const brpA = Wallet.createRandom();
  const brpB = Wallet.createRandom();
  const tso = Wallet.createRandom();

  beforeAll(async () => {
    db = await createTestDatabase();
    roles = await startTestRoles();
    await roles.grant('BRP', 'BG-A', brpA.address);
    await roles.grant('BRP', 'BG-B', brpB.address);
    await roles.grant('TSO', MARKET, tso.address);
    service = await bootstrapBalancing(db.url, namespace, roles);
    publisher = await connectTestMessaging({ namespace, name: 'balancing-hostile-test' });
  }, 60_000);

  afterAll(async () => {
    for (const result of tallies) reportHostile(result);
    await publisher?.close();
    await service?.close();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
    await roles?.stop();
  });

  /** Headers of `request` signed by `signer` for `environment` (the service's unless said). */
  async function signedAs(signer: RequestSigner, request: HostileRequest, options: { environment?: AuthEnvironment; nowMs?: number; ttlSeconds?: number } = {}): Promise<Record<string, string>> {
    const signed = await signRequest(signer, options.environment ?? roles.environment, { method: request.method, path: request.path, body: request.body ?? '' }, { nowMs: options.nowMs, ttlSeconds: options.ttlSeconds });
    return { 'content-type': 'application/json', ...signed };
  }

  async function counts(): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const table of TABLES) result[table] = (await service.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
    return result;
  }

  /** Publishes on the namespaced subject; reads back the consumer's dead letters. */
  function streamTarget(target: { subject: string; durable: string; stream: string }) {
    return {
      publish: (body: Buffer, msgId: string) => publisher.js.publish(publisher.subject(target.subject), body, { msgID: msgId }),
      deadLetters: () => readDeadLetters(publisher, { stream: target.stream, consumer: target.durable, limit: 100_000 }),
    };
  }

  async function expectAllRefused(result: HostileTally): Promise<void> {
    tallies.push(result);
    expect(result.failures).toEqual([]);
    expect({ tried: result.tried, refused: result.refused, crashed: result.crashed }).toEqual({ tried: PER_TARGET, refused: PER_TARGET, crashed: 0 });
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
  }

  it('PUT /prices/{periodId}: hostile bodies and periods', async () => {
    const before = await counts();
    const body = hostileJsonBodies({
      valid: { imbalancePricePerMWh: '5000', energyPricePerMWh: '4000' },
      hostileValues: { imbalancePricePerMWh: outOfBoundIntegerText(10n ** 9n, { allowNegative: true }), energyPricePerMWh: outOfBoundIntegerText(10n ** 9n, { allowNegative: true }) },
      required: ['imbalancePricePerMWh'],
      oversizeBytes: 200_000,
    }).map((c) => ({ ...c, periodId: TOMORROW }));
    const path = hostilePeriodId(NOW, WINDOW).map((periodId) => ({ what: `period ${periodId}`, body: Buffer.from('{"imbalancePricePerMWh":"5000"}'), periodId }));
    const requests: HostileRequest[] = sampleHostile(fc.oneof({ weight: 4, arbitrary: body }, path), PER_TARGET, 20261201).map((c) => ({
      method: 'PUT',
      path: `/prices/${encodeURIComponent(c.periodId)}`,
      body: c.body,
      what: c.what,
    }));
    await expectAllRefused(await sendHostile(service.url, 'balancing PUT /prices/{periodId}', requests, (request) => signedAs(roles.operator, request)));
    expect(await counts()).toEqual(before);
  }, 120_000);

  it('POST /schedules: hostile bodies', async () => {
    const before = await counts();
    const cases = sampleHostile(
      hostileJsonBodies({
        valid: { scheduleId: 'hostile-1', periodId: TOMORROW, periodLength: 'PT15M', fromGroup: 'BG-A', toGroup: 'BG-B', energyWh: '1000' },
        hostileValues: {
          scheduleId: badText,
          periodId: hostilePeriodId(NOW, WINDOW),
          periodLength: fc.constantFrom('PT5M', 'P1D', '15', '', 'pt15m'),
          fromGroup: fc.oneof(badGroup, fc.constant('BG-B')),
          toGroup: fc.oneof(badGroup, fc.constant('BG-A')),
          energyWh: outOfBoundIntegerText(10n ** 12n),
        },
        required: ['scheduleId', 'periodId', 'fromGroup', 'toGroup', 'energyWh'],
        oversizeBytes: 200_000,
      }),
      PER_TARGET,
      20261202,
    );
    await expectAllRefused(await sendHostile(service.url, 'balancing POST /schedules', cases.map((c) => ({ method: 'POST', path: '/schedules', body: c.body, what: c.what })), (request) => signedAs(brpA, request)));
    expect(await counts()).toEqual(before);
  }, 120_000);

  /** 1,000 requests whose signature must not pass (`signatureAttacks`): each 401 or 403 naming the reason, nothing written. */
  async function signatureVariants(suite: string, seed: number, valid: HostileRequest & { body: Buffer }, rightSigner: RequestSigner, wrongSigners: readonly RequestSigner[], refusedBody: Buffer): Promise<void> {
    const before = await counts();
    const requests = signatureAttacks({ valid, rightSigner, wrongSigners, environment: roles.environment, refusedBody: { body: refusedBody, status: 400 } }, PER_TARGET, seed);
    const result = await sendSignatureAttacks(service.url, suite, requests);
    await expectAllRefused(result);
    expect(result.statuses).toEqual(expectedStatuses(requests));
    expect(await counts()).toEqual(before);
  }

  it('PUT /prices/{periodId}: hostile signatures (401 unauthenticated, 403 wrong role)', async () => {
    const valid = { method: 'PUT', path: `/prices/${TOMORROW}`, body: Buffer.from('{"imbalancePricePerMWh":"5000"}'), what: 'valid' };
    await signatureVariants('balancing PUT /prices/{periodId} signatures', 20261203, valid, roles.operator, [brpA, tso], Buffer.from('{"imbalancePricePerMWh":"-"}'));
  }, 120_000);

  it('POST /schedules: hostile signatures (401 unauthenticated, 403 wrong role)', async () => {
    const body = (energyWh: string) => Buffer.from(JSON.stringify({ scheduleId: 'hostile-sig', periodId: TOMORROW, fromGroup: 'BG-A', toGroup: 'BG-B', energyWh }));
    const valid = { method: 'POST', path: '/schedules', body: body('1000'), what: 'valid' };
    // BG-B's BRP (the receiving group), the TSO and the market operator hold roles, none BRP of BG-A.
    await signatureVariants('balancing POST /schedules signatures', 20261204, valid, brpA, [brpB, tso, roles.operator], body('-1'));
  }, 120_000);

  describe('intake subjects', () => {
    const refs = balancingConsumerRefs('balancing');
    const occurredAt = new Date(NOW).toISOString();
    const point = { meterId: 'M-1', direction: 'consumption', mpo: ADDRESS, dso: ADDRESS, groupId: 'BG-A', supplier: null, connectionLimitW: '10000', validFrom: TOMORROW, validTo: null };
    const pointSpec = {
      valid: point,
      hostileValues: {
        meterId: badText,
        direction: fc.constantFrom('both', '', 'CONSUMPTION'),
        mpo: fc.constantFrom('0x12', ADDRESS.slice(0, 41), 'mpo'),
        groupId: badGroup,
        connectionLimitW: outOfBoundIntegerText(10n ** 16n - 1n),
        validFrom: fc.constantFrom('yesterday', '2026-02-30T00:00:00Z', ''),
      },
      required: ['meterId', 'direction', 'mpo', 'dso', 'groupId', 'supplier', 'connectionLimitW', 'validFrom', 'validTo'],
    };
    const seriesSpec = hostileMeasuredSeries({ periodId: TOMORROW, direction: 'consumption', meterId: 'M-1', energyWh: '10' }, badText);
    const series = seriesSpec.valid;
    const oneBadItem = (spec: typeof pointSpec | typeof seriesSpec) => hostileObjects(spec).map(({ value }) => [value]);
    const targets = [
      {
        name: 'meter.points.registered',
        durable: refs.points.durable,
        stream: 'METER',
        subject: MeterPointsRegistered.subject(),
        envelope: MeterPointsRegistered.create({ data: { requestedBy: ADDRESS, points: [point as never] }, idParts: ['hostile-points'], occurredAt }),
        data: {
          valid: { requestedBy: ADDRESS, points: [point] },
          hostileValues: { requestedBy: fc.constantFrom('', 'x'.repeat(65)), points: fc.oneof(fc.constant([]), oneBadItem(pointSpec)) },
          required: ['requestedBy', 'points'],
        },
      },
      {
        name: 'meter.intervals.measured.*',
        durable: refs.intervals.durable,
        stream: 'METER',
        subject: MeterIntervalsMeasured.subject('BG-A'),
        envelope: MeterIntervalsMeasured.create({
          data: { batchId: `0x${'11'.repeat(32)}`, mpo: ADDRESS, groupId: 'BG-A', periodLength: 'PT15M', receivedAt: occurredAt, series: [series as never] },
          idParts: ['hostile-intervals'],
          occurredAt,
        }),
        data: {
          valid: { batchId: `0x${'11'.repeat(32)}`, mpo: ADDRESS, groupId: 'BG-A', periodLength: 'PT15M', receivedAt: occurredAt, series: [series] },
          hostileValues: {
            batchId: fc.constantFrom('0x12', `0x${'AB'.repeat(32)}`, ''),
            mpo: fc.constantFrom('0x12', 'mpo'),
            groupId: badGroup,
            periodLength: fc.constantFrom('PT5M', ''),
            receivedAt: fc.constantFrom('yesterday', ''),
            series: fc.oneof(fc.constant([]), oneBadItem(seriesSpec)),
          },
          required: ['batchId', 'mpo', 'groupId', 'periodLength', 'receivedAt', 'series'],
        },
      },
      {
        name: 'capacity.exchange.scheduled',
        durable: refs.exchanges.durable,
        stream: 'CAPACITY',
        subject: CapacityExchangeScheduled.subject(),
        envelope: CapacityExchangeScheduled.create({ data: { periodId: TOMORROW, periodLength: 'PT15M', version: 1, fromGroup: 'BG-A', toGroup: 'BG-B', energyWh: '10' }, idParts: ['hostile-exchange'], occurredAt }),
        data: {
          valid: { periodId: TOMORROW, periodLength: 'PT15M', version: 1, fromGroup: 'BG-A', toGroup: 'BG-B', energyWh: '10' },
          hostileValues: {
            periodId: hostilePeriodId(NOW, WINDOW),
            periodLength: fc.constantFrom('PT5M', ''),
            version: fc.oneof(fc.integer({ max: 0 }), fc.constant(1.5)),
            fromGroup: fc.oneof(badGroup, fc.constant('BG-B')),
            toGroup: badGroup,
            energyWh: outOfBoundIntegerText(10n ** 12n),
          },
          required: ['periodId', 'periodLength', 'version', 'fromGroup', 'toGroup', 'energyWh'],
        },
      },
      {
        name: 'market.prices.published',
        durable: refs.prices.durable,
        stream: 'MARKET',
        subject: MarketPricesPublished.subject(),
        envelope: MarketPricesPublished.create({ data: { periodId: TOMORROW, imbalancePricePerMWh: '5000', energyPricePerMWh: '4000' }, idParts: ['hostile-prices'], occurredAt }),
        data: {
          valid: { periodId: TOMORROW, imbalancePricePerMWh: '5000', energyPricePerMWh: '4000' },
          hostileValues: {
            periodId: hostilePeriodId(NOW, WINDOW),
            imbalancePricePerMWh: outOfBoundIntegerText(10n ** 9n, { allowNegative: true }),
            energyPricePerMWh: outOfBoundIntegerText(10n ** 9n, { allowNegative: true }),
          },
          required: ['periodId', 'imbalancePricePerMWh', 'energyPricePerMWh'],
        },
      },
      {
        name: 'chain.period.confirmed',
        durable: refs.confirmations.durable,
        stream: 'CHAIN',
        subject: ChainPeriodConfirmed.subject(),
        envelope: ChainPeriodConfirmed.create({
          data: { groupId: 'BG-A', periodId: TOMORROW, version: 1, merkleRoot: `0x${'22'.repeat(32)}`, chainId: 31337, contract: ADDRESS, txHash: `0x${'33'.repeat(32)}`, blockNumber: 1, blockHash: `0x${'44'.repeat(32)}`, confirmations: 2 },
          idParts: ['hostile-confirmed'],
          occurredAt,
        }),
        data: {
          valid: { groupId: 'BG-A', periodId: TOMORROW, version: 1, merkleRoot: `0x${'22'.repeat(32)}`, chainId: 31337, contract: ADDRESS, txHash: `0x${'33'.repeat(32)}`, blockNumber: 1, blockHash: `0x${'44'.repeat(32)}`, confirmations: 2 },
          hostileValues: {
            groupId: badGroup,
            periodId: fc.constantFrom('2026-11-24T12:07:00Z', 'yesterday', ''),
            version: fc.oneof(fc.integer({ max: 0 }), fc.constant(2.5)),
            merkleRoot: fc.constantFrom('0x12', `0x${'AB'.repeat(32)}`),
            chainId: fc.oneof(fc.integer({ max: 0 }), fc.constant(1.5)),
            blockNumber: fc.oneof(fc.integer({ max: -1 }), fc.constant(0.5)),
            confirmations: fc.integer({ min: -10, max: 0 }),
          },
          required: ['groupId', 'periodId', 'version', 'merkleRoot', 'chainId', 'contract', 'txHash', 'blockNumber', 'blockHash', 'confirmations'],
        },
      },
    ];

    for (const [index, target] of targets.entries()) {
      it(`${target.name}: hostile messages are dead-lettered naming field and reason`, async () => {
        const before = await counts();
        const payloads = sampleHostile(hostileEnvelopes(target.envelope as never, target.data as never), PER_TARGET, 20261210 + index);
        const result = await publishHostile(`balancing consume ${target.name}`, streamTarget(target), payloads);
        await expectAllRefused(result);
        expect(await counts()).toEqual(before);
      }, 180_000);
    }
  });
});
