import fc from 'fast-check';
import { MarketPricesPublished, MeterIntervalsMeasured } from '@gridledger/events';
import { durableName, readDeadLetters, type MessagingClient } from '@gridledger/messaging';
import { bootstrapService, type RunningService } from '@gridledger/service-kit';
import {
  connectTestMessaging,
  createTestDatabase,
  deleteNamespaceStreams,
  hostileEnvelopes,
  hostileJsonBodies,
  hostileObjects,
  outOfBoundIntegerText,
  publishHostile,
  randomNamespace,
  reportHostile,
  sampleHostile,
  sendHostile,
  type HostileTally,
  testNatsEnv,
  type TestDatabase,
} from '@gridledger/testing';
import type { CapacityMarketConfig } from '../src/config';
import { capacityMarketService } from '../src/service';

/**
 * 1,000 generated hostile requests per write endpoint and per intake subject (fast-check,
 * fixed seeds): each is refused with a 4xx problem naming field and reason, or dead-lettered
 * with them; nothing crashes and the event store and its projections do not change (refused
 * commands are logged in rejected_inputs, which is the one table that grows).
 */
const PER_TARGET = Number(process.env.TEST_HOSTILE_COUNT ?? 1000);
const OPERATOR = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
const TABLES = ['events', 'plants', 'holders', 'holdings', 'prices', 'meter_values', 'inbox', 'outbox'];
const PERIOD = '2026-03-29T01:00:00Z';

const badId = fc.constantFrom('', ' ', 'x'.repeat(65), 'a b', '-lead', '../etc/passwd', 'é', '.x');
const badGroup = fc.constantFrom('', '-BG', 'BG 1', 'BG/1', 'x'.repeat(65), 'ÄBG');
const badAddress = fc.constantFrom('', '0x12', `0x${'zz'.repeat(20)}`, OPERATOR.slice(0, 41), 'operator');
const malformedInteger = fc.constantFrom('-1', '1.5', '', '1e3', '99999999999999999999', '0x10', ' 1', 'NaN');

describe('capacity-market: 1,000 hostile inputs per write endpoint and intake subject', () => {
  const namespace = randomNamespace();
  let db: TestDatabase;
  let service: RunningService<CapacityMarketConfig>;
  let publisher: MessagingClient;
  const tallies: HostileTally[] = [];
  const post = (path: string, body: unknown) => fetch(`${service.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await bootstrapService(
      capacityMarketService({ ...testNatsEnv(), DATABASE_URL: db.url, NATS_NAMESPACE: namespace, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'error', CAPACITY_CLOCK_START: '2026-03-29T00:00:00Z' }),
    );
    publisher = await connectTestMessaging({ namespace, name: 'capacity-hostile-test' });
    // A plant (10 kW) with 5 kW issued to h-1, and h-2 holding nothing.
    expect((await post('/plants', { plantId: 'pv-1', kind: 'pv', meterId: 'M-pv-1', capacityW: '10000', operator: OPERATOR, groupId: 'BG-A', feePerMWPeriodCents: '0' })).status).toBe(201);
    for (const holderId of ['h-1', 'h-2']) expect((await post('/holders', { holderId, consumptionMeterId: `C-${holderId}`, groupId: 'BG-A' })).status).toBe(201);
    expect((await post('/plants/pv-1/shares/issue', { holderId: 'h-1', sharesW: '5000' })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    for (const result of tallies) reportHostile(result);
    await publisher?.close();
    await service?.close();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
  });

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

  const endpoints: { name: string; path: fc.Arbitrary<string>; valid: Record<string, unknown>; hostileValues: Record<string, fc.Arbitrary<unknown>> }[] = [
    {
      name: 'POST /plants',
      path: fc.constant('/plants'),
      valid: { plantId: 'pv-new', kind: 'pv', meterId: 'M-new', capacityW: '1000', operator: OPERATOR, groupId: 'BG-A', feePerMWPeriodCents: '0' },
      hostileValues: {
        plantId: fc.oneof(badId, fc.constant('pv-1')),
        kind: fc.constantFrom('coal', '', 'PV'),
        meterId: fc.oneof(badId, fc.constant('M-pv-1')),
        capacityW: fc.oneof(outOfBoundIntegerText(10n ** 12n), fc.constant('0')),
        operator: badAddress,
        groupId: badGroup,
        feePerMWPeriodCents: malformedInteger,
      },
    },
    {
      name: 'POST /holders',
      path: fc.constant('/holders'),
      valid: { holderId: 'h-new', consumptionMeterId: 'C-new', groupId: 'BG-A' },
      hostileValues: { holderId: fc.oneof(badId, fc.constant('h-1')), consumptionMeterId: fc.oneof(badId, fc.constant('C-h-1')), groupId: badGroup },
    },
    {
      name: 'POST /plants/{plantId}/shares/issue',
      path: fc.constantFrom('/plants/pv-1/shares/issue', '/plants/pv-1/shares/issue', '/plants/pv-1/shares/issue', '/plants/nope/shares/issue'),
      valid: { holderId: 'h-2', sharesW: '1' },
      hostileValues: { holderId: fc.oneof(badId, fc.constant('h-unknown')), sharesW: fc.oneof(outOfBoundIntegerText(5000n), fc.constant('0')) },
    },
    {
      name: 'POST /plants/{plantId}/shares/transfer',
      path: fc.constantFrom('/plants/pv-1/shares/transfer', '/plants/pv-1/shares/transfer', '/plants/pv-1/shares/transfer', '/plants/nope/shares/transfer'),
      valid: { fromHolderId: 'h-1', toHolderId: 'h-2', sharesW: '1' },
      hostileValues: { fromHolderId: fc.oneof(badId, fc.constant('h-2')), toHolderId: fc.oneof(badId, fc.constantFrom('h-1', 'h-unknown')), sharesW: fc.oneof(outOfBoundIntegerText(5000n), fc.constant('0')) },
    },
    {
      name: 'POST /plants/{plantId}/shares/retire',
      path: fc.constantFrom('/plants/pv-1/shares/retire', '/plants/pv-1/shares/retire', '/plants/pv-1/shares/retire', '/plants/nope/shares/retire'),
      valid: { holderId: 'h-1', sharesW: '1' },
      hostileValues: { holderId: fc.oneof(badId, fc.constant('h-2')), sharesW: fc.oneof(outOfBoundIntegerText(5000n), fc.constant('0')) },
    },
  ];

  for (const [index, endpoint] of endpoints.entries()) {
    it(`${endpoint.name}: hostile bodies`, async () => {
      const before = await counts();
      const bodies = hostileJsonBodies({ valid: endpoint.valid, hostileValues: endpoint.hostileValues, required: Object.keys(endpoint.valid), oversizeBytes: 200_000 });
      // A valid body on an unknown plant is refused too (404), so that path gets only valid bodies.
      const cases = sampleHostile(
        fc.tuple(endpoint.path, bodies).map(([path, c]) => (path.includes('/nope/') ? { ...c, path, body: Buffer.from(JSON.stringify(endpoint.valid)), what: 'unknown plant' } : { ...c, path })),
        PER_TARGET,
        20261220 + index,
      );
      await expectAllRefused(await sendHostile(service.url, `capacity-market ${endpoint.name}`, cases.map((c) => ({ method: 'POST', path: c.path, body: c.body, what: c.what }))));
      expect(await counts()).toEqual(before);
    }, 120_000);
  }

  describe('intake subjects', () => {
    const occurredAt = '2026-03-29T01:16:00Z';
    const interval = { meterId: 'M-pv-1', direction: 'production', periodId: PERIOD, energyWh: '10', quality: 'measured' };
    const intervalSpec = {
      valid: interval,
      hostileValues: { meterId: badId, direction: fc.constantFrom('both', ''), periodId: fc.constantFrom('2026-03-29T01:07:00Z', 'yesterday', ''), energyWh: fc.constantFrom('-1', '1.5', '1e3', '99999999999999999999', ''), quality: fc.constantFrom('guessed', '') },
      required: Object.keys(interval),
    };
    const batch = { batchId: `0x${'11'.repeat(32)}`, mpo: OPERATOR, groupId: 'BG-A', periodLength: 'PT15M', receivedAt: occurredAt, intervals: [interval] };
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
            intervals: fc.oneof(fc.constant([]), hostileObjects(intervalSpec).map(({ value }) => [value])),
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
