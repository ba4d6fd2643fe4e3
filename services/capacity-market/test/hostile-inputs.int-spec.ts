import fc from 'fast-check';
import type { Wallet } from 'ethers';
import { signRequest, type RequestSigner } from '@gridledger/auth';
import { MarketPricesPublished, MeterIntervalsMeasured } from '@gridledger/events';
import { durableName, readDeadLetters, type MessagingClient } from '@gridledger/messaging';
import {
  connectTestMessaging,
  expectProblem,
  hostileEnvelopes,
  hostileJsonBodies,
  hostileMeasuredSeries,
  hostileObjects,
  outOfBoundIntegerText,
  publishHostile,
  reportHostile,
  sampleHostile,
  sendHostile,
  sendSignatureAttacks,
  signatureAttacks,
  expectedStatuses,
  type HostileRequest,
  type HostileTally,
} from '@gridledger/testing';
import { participant, startCapacityService, type CapacityTestService } from './support/capacity-service';

/**
 * 1,000 generated hostile requests per write endpoint and per intake subject (fast-check,
 * fixed seeds): each is refused with a 4xx problem naming field and reason, or dead-lettered
 * with them; nothing crashes and the event store and its projections do not change (refused
 * commands are logged in rejected_inputs, used nonces in used_nonces: the tables that grow).
 * Per write endpoint two suites: hostile bodies signed by the party the rule names (so they
 * reach the parser), and hostile signatures around valid bodies from the shared
 * `signatureAttacks` (no or a malformed signature, expired, too far ahead, another chain or
 * verifying contract, a tampered body, a replayed nonce of an accepted request, a signer header
 * that is not the signer: 401; a key without the role or not the named party: 403).
 */
const PER_TARGET = Number(process.env.TEST_HOSTILE_COUNT ?? 1000);
/** A plant operator's address in bodies of the intake subjects (any address). */
const OPERATOR = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
const TABLES = ['events', 'plants', 'holders', 'holdings', 'prices', 'meter_values', 'inbox', 'outbox'];
const PERIOD = '2026-03-29T01:00:00Z';

const badId = fc.constantFrom('', ' ', 'x'.repeat(65), 'a b', '-lead', '../etc/passwd', 'é', '.x');
const badGroup = fc.constantFrom('', '-BG', 'BG 1', 'BG/1', 'x'.repeat(65), 'ÄBG');
const badAddress = fc.constantFrom('', '0x12', `0x${'zz'.repeat(20)}`, OPERATOR.slice(0, 41), 'operator');
const malformedInteger = fc.constantFrom('-1', '1.5', '', '1e3', '99999999999999999999', '0x10', ' 1', 'NaN');

describe('capacity-market: 1,000 hostile inputs per write endpoint and intake subject', () => {
  let service: CapacityTestService;
  let publisher: MessagingClient;
  const tallies: HostileTally[] = [];
  // The plant's operator, two holders (h1 holds 5 kW of pv-1, h2 nothing), and keys that hold nothing here.
  const plantOperator = participant();
  const otherPlantOperator = participant();
  const h1 = participant();
  const h2 = participant();
  const stranger = participant();
  const wallets = new Map<string, Wallet>([plantOperator, otherPlantOperator, h1, h2, stranger].map((wallet) => [wallet.address, wallet]));
  /** One accepted request per endpoint, sent before the suites: what a replay sends again. */
  const accepted = new Map<string, { path: string; headers: Record<string, string>; body: Buffer }>();

  async function sendSigned(signer: RequestSigner, path: string, body: unknown): Promise<{ status: number; headers: Record<string, string>; bytes: Buffer }> {
    const bytes = Buffer.from(JSON.stringify(body));
    // The longest expiry: the replays of these requests run minutes later and must meet a used nonce, not an expired one.
    const headers = { 'content-type': 'application/json', ...(await signRequest(signer, service.roles.environment, { method: 'POST', path, body: bytes }, { ttlSeconds: 900 })) };
    const response = await fetch(`${service.url}${path}`, { method: 'POST', headers, body: bytes });
    return { status: response.status, headers, bytes };
  }

  beforeAll(async () => {
    service = await startCapacityService();
    publisher = await connectTestMessaging({ namespace: service.namespace, name: 'capacity-hostile-test' });
    await service.roles.chain.grant('PLANT_OPERATOR', 'pv-other', otherPlantOperator.address);
    for (const plantId of ['pv-1', 'pv-new', 'pv-replay']) await service.roles.chain.grant('PLANT_OPERATOR', plantId, plantOperator.address);
    await service.grant('PLANT_OPERATOR', 'pv-replay', plantOperator.address);
    // A plant (10 kW) with 5 kW issued to h1, and h2 holding nothing; each write accepted once, kept for the replays.
    const plant = (plantId: string) => ({ plantId, kind: 'pv', meterId: `M-${plantId}`, capacityW: '10000', operator: plantOperator.address, groupId: 'BG-A', feePerMWPeriodCents: '0' });
    const keep = async (endpoint: string, signer: Wallet, path: string, body: unknown, status: number) => {
      const sent = await sendSigned(signer, path, body);
      expect(sent.status).toBe(status);
      accepted.set(endpoint, { path, headers: sent.headers, body: sent.bytes });
    };
    expect((await sendSigned(plantOperator, '/plants', plant('pv-1'))).status).toBe(201);
    await keep('POST /plants', plantOperator, '/plants', plant('pv-replay'), 201);
    await keep('POST /holders', h1, '/holders', { holderId: h1.address, consumptionMeterId: 'C-h-1', groupId: 'BG-A' }, 201);
    expect((await sendSigned(h2, '/holders', { holderId: h2.address, consumptionMeterId: 'C-h-2', groupId: 'BG-A' })).status).toBe(201);
    await keep('POST /plants/{plantId}/shares/issue', plantOperator, '/plants/pv-1/shares/issue', { holderId: h1.address, sharesW: '5002' }, 200);
    await keep('POST /plants/{plantId}/shares/transfer', h1, '/plants/pv-1/shares/transfer', { fromHolderId: h1.address, toHolderId: h2.address, sharesW: '1' }, 200);
    await keep('POST /plants/{plantId}/shares/retire', h2, '/plants/pv-1/shares/retire', { holderId: h2.address, sharesW: '1' }, 200);
    expect((await sendSigned(h1, '/plants/pv-1/shares/retire', { holderId: h1.address, sharesW: '1' })).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    for (const result of tallies) reportHostile(result);
    await publisher?.close();
    await service?.stop();
  });

  async function counts(): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const table of TABLES) result[table] = (await service.running.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
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

  /** Sent with a signature of the party the rule names, so the body reaches the parser and the market's rules. */
  interface Endpoint {
    readonly name: string;
    readonly path: fc.Arbitrary<string>;
    readonly valid: Record<string, unknown>;
    readonly hostileValues: Record<string, fc.Arbitrary<unknown>>;
    /** Who signs a body: the party it names (or the market operator where it may act for anyone). */
    readonly signerFor: (body: Record<string, unknown> | undefined) => Wallet;
    /** Valid bodies signed by a key that may not send them (no role, another plant, not the named party): 403. */
    readonly wrongParties: () => ReadonlyArray<{ readonly signer: Wallet; readonly body: Record<string, unknown>; readonly why: string }>;
  }

  const walletNamed = (value: unknown, fallback: Wallet): Wallet => (typeof value === 'string' ? wallets.get(value) : undefined) ?? fallback;
  const endpoints = (): Endpoint[] => {
    const newPlant = { plantId: 'pv-new', kind: 'pv', meterId: 'M-new', capacityW: '1000', operator: plantOperator.address, groupId: 'BG-A', feePerMWPeriodCents: '0' };
    const newHolder = participant();
    const holderBody = { holderId: newHolder.address, consumptionMeterId: 'C-new', groupId: 'BG-A' };
    const issue = { holderId: h2.address, sharesW: '1' };
    const transfer = { fromHolderId: h1.address, toHolderId: h2.address, sharesW: '1' };
    const retire = { holderId: h1.address, sharesW: '1' };
    return [
      {
        name: 'POST /plants',
        path: fc.constant('/plants'),
        valid: newPlant,
        hostileValues: {
          plantId: fc.oneof(badId, fc.constant('pv-1')),
          kind: fc.constantFrom('coal', '', 'PV'),
          meterId: fc.oneof(badId, fc.constant('M-pv-1')),
          capacityW: fc.oneof(outOfBoundIntegerText(10n ** 12n), fc.constant('0')),
          operator: badAddress,
          groupId: badGroup,
          feePerMWPeriodCents: malformedInteger,
        },
        signerFor: () => service.operator,
        wrongParties: () => [
          { signer: stranger, body: { ...newPlant, operator: stranger.address }, why: 'a key without the role' },
          { signer: otherPlantOperator, body: { ...newPlant, operator: otherPlantOperator.address }, why: 'another plant\'s operator' },
          { signer: h1, body: newPlant, why: 'a holder' },
          { signer: plantOperator, body: { ...newPlant, operator: stranger.address }, why: 'the operator naming someone else' },
        ],
      },
      {
        name: 'POST /holders',
        path: fc.constant('/holders'),
        valid: holderBody,
        hostileValues: { holderId: fc.oneof(badId, badAddress, fc.constant(h1.address)), consumptionMeterId: fc.oneof(badId, fc.constant('C-h-1')), groupId: badGroup },
        signerFor: () => service.operator,
        wrongParties: () => [
          { signer: stranger, body: holderBody, why: 'another address' },
          { signer: plantOperator, body: holderBody, why: 'a plant operator' },
          { signer: h1, body: holderBody, why: 'another holder' },
        ],
      },
      {
        name: 'POST /plants/{plantId}/shares/issue',
        path: fc.constantFrom('/plants/pv-1/shares/issue', '/plants/pv-1/shares/issue', '/plants/pv-1/shares/issue', '/plants/nope/shares/issue'),
        valid: issue,
        hostileValues: { holderId: fc.oneof(badId, fc.constant(stranger.address)), sharesW: fc.oneof(outOfBoundIntegerText(5000n), fc.constant('0')) },
        signerFor: () => plantOperator,
        wrongParties: () => [stranger, h1, h2, otherPlantOperator, service.operator].map((signer) => ({ signer, body: issue, why: 'not the plant\'s operator' })),
      },
      {
        name: 'POST /plants/{plantId}/shares/transfer',
        path: fc.constantFrom('/plants/pv-1/shares/transfer', '/plants/pv-1/shares/transfer', '/plants/pv-1/shares/transfer', '/plants/nope/shares/transfer'),
        valid: transfer,
        hostileValues: { fromHolderId: fc.oneof(badId, fc.constant(h2.address)), toHolderId: fc.oneof(badId, fc.constantFrom(h1.address, stranger.address)), sharesW: fc.oneof(outOfBoundIntegerText(5000n), fc.constant('0')) },
        signerFor: (body) => walletNamed(body?.fromHolderId, h1),
        wrongParties: () => [h2, plantOperator, service.operator, stranger].map((signer) => ({ signer, body: transfer, why: 'not fromHolderId' })),
      },
      {
        name: 'POST /plants/{plantId}/shares/retire',
        path: fc.constantFrom('/plants/pv-1/shares/retire', '/plants/pv-1/shares/retire', '/plants/pv-1/shares/retire', '/plants/nope/shares/retire'),
        valid: retire,
        hostileValues: { holderId: fc.oneof(badId, fc.constant(h2.address)), sharesW: fc.oneof(outOfBoundIntegerText(5000n), fc.constant('0')) },
        signerFor: (body) => walletNamed(body?.holderId, h1),
        wrongParties: () => [h2, plantOperator, service.operator, stranger].map((signer) => ({ signer, body: retire, why: 'not the holder' })),
      },
    ];
  };

  function parsedObject(body: Buffer): Record<string, unknown> | undefined {
    try {
      const value: unknown = JSON.parse(body.toString('utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  for (const [index, name] of ['POST /plants', 'POST /holders', 'POST /plants/{plantId}/shares/issue', 'POST /plants/{plantId}/shares/transfer', 'POST /plants/{plantId}/shares/retire'].entries()) {
    it(`${name}: hostile bodies, signed by the party they name`, async () => {
      const endpoint = endpoints()[index];
      const before = await counts();
      const bodies = hostileJsonBodies({ valid: endpoint.valid, hostileValues: endpoint.hostileValues, required: Object.keys(endpoint.valid), oversizeBytes: 200_000 });
      // A valid body on an unknown plant is refused too (403: nobody operates it; 404: not registered), so that path gets only valid bodies.
      const cases = sampleHostile(
        fc.tuple(endpoint.path, bodies).map(([path, c]) => (path.includes('/nope/') ? { ...c, path, body: Buffer.from(JSON.stringify(endpoint.valid)), what: 'unknown plant' } : { ...c, path })),
        PER_TARGET,
        20261220 + index,
      );
      const requests = cases.map((c): HostileRequest => ({ method: 'POST', path: c.path, body: c.body, what: c.what }));
      const sign = async (request: HostileRequest) => ({
        'content-type': 'application/json',
        ...(await signRequest(endpoint.signerFor(parsedObject(request.body as Buffer)), service.roles.environment, { method: 'POST', path: request.path, body: request.body ?? '' })),
      });
      await expectAllRefused(await sendHostile(service.url, `capacity-market ${name}`, requests, sign));
      expect(await counts()).toEqual(before);
    }, 180_000);

    it(`${name}: hostile signatures around valid bodies (401 unauthenticated, 403 wrong role or party)`, async () => {
      const endpoint = endpoints()[index];
      const replay = accepted.get(name);
      if (!replay) throw new Error(`no accepted request of ${name} to replay`);
      // A replay is refused as one: NONCE_REUSED.
      await expectProblem(await fetch(`${service.url}${replay.path}`, { method: 'POST', headers: replay.headers, body: replay.body }), { status: 401, code: 'NONCE_REUSED' });
      const before = await counts();
      // Valid bodies go to the plant they are valid for (the path of the accepted request).
      const rightful = endpoint.signerFor(endpoint.valid);
      const requests = signatureAttacks(
        {
          valid: { method: 'POST', path: replay.path, body: Buffer.from(JSON.stringify(endpoint.valid)) },
          rightSigner: rightful,
          wrongSigners: [],
          wrongParties: endpoint.wrongParties().map((party) => ({ signer: party.signer, body: Buffer.from(JSON.stringify(party.body)) })),
          environment: service.roles.environment,
          accepted: replay,
        },
        PER_TARGET,
        20261240 + index,
      );
      const result = await sendSignatureAttacks(service.url, `capacity-market ${name} signatures`, requests);
      await expectAllRefused(result);
      // 401 for every way of not proving who signs, 403 for a signer without the role or not the party.
      expect(result.statuses).toEqual(expectedStatuses(requests));
      expect(await counts()).toEqual(before);
    }, 180_000);
  }

  describe('intake subjects', () => {
    const occurredAt = '2026-03-29T01:16:00Z';
    const seriesSpec = hostileMeasuredSeries({ periodId: PERIOD, direction: 'production', meterId: 'M-pv-1', energyWh: '10' }, badId);
    const series = seriesSpec.valid;
    const batch = { batchId: `0x${'11'.repeat(32)}`, mpo: OPERATOR, groupId: 'BG-A', periodLength: 'PT15M', receivedAt: occurredAt, series: [series] };
    const targets = [
      {
        name: 'meter.intervals.measured.*',
        durable: durableName('capacity-market', 'intervals'),
        stream: 'METER',
        subject: MeterIntervalsMeasured.subject('BG-A'),
        envelope: MeterIntervalsMeasured.create({ data: batch as never, idParts: ['hostile-intervals'], occurredAt }),
        data: {
          valid: batch,
          hostileValues: {
            batchId: fc.constantFrom('0x12', `0x${'AB'.repeat(32)}`, ''),
            mpo: badAddress,
            groupId: badGroup,
            periodLength: fc.constantFrom('PT5M', ''),
            receivedAt: fc.constantFrom('yesterday', ''),
            series: fc.oneof(fc.constant([]), hostileObjects(seriesSpec).map(({ value }) => [value])),
          },
          required: Object.keys(batch),
        },
      },
      {
        name: 'market.prices.published',
        durable: durableName('capacity-market', 'prices'),
        stream: 'MARKET',
        subject: MarketPricesPublished.subject(),
        envelope: MarketPricesPublished.create({ data: { periodId: PERIOD, imbalancePricePerMWh: '5000', energyPricePerMWh: '4000' }, idParts: ['hostile-prices'], occurredAt }),
        data: {
          valid: { periodId: PERIOD, imbalancePricePerMWh: '5000', energyPricePerMWh: '4000' },
          hostileValues: {
            periodId: fc.constantFrom('2026-03-29T01:07:00Z', 'yesterday', '', '2026-02-30', '2026-03-29T01:00:00+01:00'),
            imbalancePricePerMWh: fc.constantFrom('1.5', '', '1e3', '0x10', ' 1', 'NaN', '9'.repeat(26)),
            energyPricePerMWh: fc.constantFrom('1.5', '', '1e3', '99999999999999999999', '-1000000001', '0x10', ' 1', 'NaN'),
          },
          required: ['periodId', 'imbalancePricePerMWh', 'energyPricePerMWh'],
        },
      },
    ];

    for (const [index, target] of targets.entries()) {
      it(`${target.name}: hostile messages are dead-lettered naming field and reason`, async () => {
        const before = await counts();
        const payloads = sampleHostile(hostileEnvelopes(target.envelope as never, target.data as never), PER_TARGET, 20261230 + index);
        await expectAllRefused(await publishHostile(`capacity-market consume ${target.name}`, streamTarget(target), payloads));
        expect(await counts()).toEqual(before);
      }, 180_000);
    }
  });
});
