import { AckPolicy, connect, type NatsConnection } from 'nats';
import { BalancingPeriodSettled } from '@gridledger/events';
import { ALL_STREAMS, STREAMS, connectMessaging, natsAuthOptions, rpcSubject, type MessagingClient, type NatsUserName, type StreamSpec } from '@gridledger/messaging';
import { TEST_NATS_URL, connectTestMessaging, connectTestNats, deleteNamespaceStreams, randomNamespace, startAuthNatsServer, testNatsCredentials, type AuthNatsServer } from '@gridledger/testing';

jest.setTimeout(60_000);

const settled = (groupId: string, root: string) =>
  BalancingPeriodSettled.create({
    idParts: [groupId, '2026-03-29T01:00:00Z', '1'],
    occurredAt: new Date('2026-03-29T01:20:00Z'),
    data: {
      groupId,
      periodId: '2026-03-29T01:00:00Z',
      periodLength: 'PT15M',
      version: 1,
      trigger: 'complete',
      feedInWh: '10',
      feedOutWh: '4',
      scheduleNetWh: '0',
      imbalanceWh: '6',
      imbalancePricePerMWh: null,
      imbalanceAmount: null,
      ledgerDigest: `0x${'11'.repeat(32)}`,
      merkleRoot: root,
      meterCount: 2,
      substitutedCount: 0,
    },
  });

/** Rejects when the server refuses (permissions violation) or no PubAck comes. */
async function refused(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    return String(error);
  }
  throw new Error('the server accepted it');
}

describe('NATS locked down (the run’s auth-enabled nats-server, namespaced permissions)', () => {
  const ns = randomNamespace();
  const clients: (MessagingClient | NatsConnection)[] = [];
  const as = async (user: NatsUserName, name: string = user): Promise<MessagingClient> => {
    const client = await connectTestMessaging({ namespace: ns, name, user });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const operator = await as('operator', 'set-up');
    await operator.ensureStreams();
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await deleteNamespaceStreams(ns);
  });

  it('refuses an anonymous client and a wrong password', async () => {
    expect(await refused(connect({ servers: TEST_NATS_URL, reconnect: false }))).toMatch(/authorization/i);
    expect(await refused(connect({ servers: TEST_NATS_URL, reconnect: false, user: 'balancing', pass: 'guessed' }))).toMatch(/authorization/i);
  });

  it('refuses a service publishing on another service’s subjects: meter-ingest cannot publish balancing.period.settled', async () => {
    const meterIngest = await as('meter-ingest');
    const forged = settled('BG-FORGED', `0x${'66'.repeat(32)}`);
    expect(await refused(meterIngest.publishEvent(BalancingPeriodSettled, forged, 'BG-FORGED'))).toMatch(/permission|timeout|503|no responders/i);
    // Core NATS too: the server drops it (and no stream stores it).
    meterIngest.nc.publish(meterIngest.subject('balancing.period.settled.BG-FORGED'), new TextEncoder().encode('{}'));
    await meterIngest.nc.flush();
    const stored = await meterIngest.jsm.streams.info(meterIngest.streamName('BALANCING')).catch(() => undefined);
    const operator = await as('operator', 'checker');
    const info = await operator.jsm.streams.info(operator.streamName('BALANCING'));
    expect(info.state.messages).toBe(0);
    expect(stored?.state.messages ?? 0).toBe(0);
    // Its own subjects it may publish.
    await expect(meterIngest.publishRaw('meter.readings.rejected', '{}', { eventId: 'own-subject', eventType: 'test' })).resolves.toMatchObject({ duplicate: false });
  });

  it('accepts outbox replay requests only from the operator', async () => {
    const meterIngest = await as('meter-ingest', 'meter-ingest-replier');
    const replies: string[] = [];
    meterIngest.serve('meter-ingest.outbox.replay', async () => {
      replies.push('answered');
      return { replayed: 0 };
    });
    await meterIngest.nc.flush();
    const balancing = await as('balancing');
    expect(await refused(balancing.request('meter-ingest.outbox.replay', { replayId: 'r1' }, 1000))).toMatch(/permission|timeout/i);
    const chainBridge = await as('chain-bridge');
    expect(await refused(chainBridge.request('meter-ingest.outbox.replay', { replayId: 'r2' }, 1000))).toMatch(/permission|timeout/i);
    expect(replies).toEqual([]);
    const operator = await as('operator', 'ops');
    await expect(operator.request('meter-ingest.outbox.replay', { replayId: 'r3' }, 3000)).resolves.toEqual({ replayed: 0 });
    expect(replies).toEqual(['answered']);
  });

  it('keeps a forged copy with the same event id from shadowing the real event (Nats-Msg-Id carries the publisher)', async () => {
    const real = settled('BG-REAL', `0x${'aa'.repeat(32)}`);
    // The only other user allowed on balancing.> is the operator (dead-letter re-drives).
    const other = await as('operator', 'forger');
    const forged = { ...real, data: { ...real.data, merkleRoot: `0x${'66'.repeat(32)}` } };
    await expect(other.publishEvent(BalancingPeriodSettled, forged, 'BG-REAL')).resolves.toMatchObject({ duplicate: false });
    const balancing = await as('balancing');
    await expect(balancing.publishEvent(BalancingPeriodSettled, real, 'BG-REAL')).resolves.toMatchObject({ duplicate: false });
    // Balancing's own retry is still a duplicate.
    await expect(balancing.publishEvent(BalancingPeriodSettled, real, 'BG-REAL')).resolves.toMatchObject({ duplicate: true });
  });
});

describe('NATS locked down (production permissions: no namespace, exact stream names)', () => {
  let server: AuthNatsServer;
  const clients: (MessagingClient | NatsConnection)[] = [];
  const as = async (user: NatsUserName): Promise<MessagingClient> => {
    const client = await connectMessaging({ url: server.url, name: user, credentials: { user, password: server.passwords[user] } });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startAuthNatsServer({ namespaced: false });
  });
  afterAll(async () => {
    for (const client of clients) await client.close();
    await server?.stop();
  });

  it.each([
    ['meter-ingest', 'meter.readings.rejected', [] as string[], ['METER', 'BALANCING']],
    ['balancing', 'balancing.period.closed', ['METER', 'CAPACITY', 'MARKET', 'CHAIN', 'BALANCING'], ['DEADLETTER']],
    ['capacity-market', 'capacity.allocation.computed', ['METER', 'MARKET', 'CAPACITY'], ['BALANCING', 'CHAIN']],
    ['chain-bridge', 'chain.period.confirmed', ['BALANCING'], ['METER', 'DEADLETTER']],
  ] as const)('%s declares the streams, publishes its own subject and consumes only what it reads', async (user, ownSubject, reads, notRead) => {
    const client = await as(user);
    await client.ensureStreams(ALL_STREAMS);
    await expect(client.publishRaw(ownSubject, '{}', { eventId: `${user}-1`, eventType: 'test' })).resolves.toMatchObject({ duplicate: false });
    for (const stream of reads) {
      await client.jsm.consumers.add(stream, { durable_name: `${user}-probe`, ack_policy: AckPolicy.Explicit, filter_subject: (STREAMS as Record<string, StreamSpec>)[stream].subjects[0] });
      const consumer = await client.js.consumers.get(stream, `${user}-probe`);
      await consumer.next({ expires: 1000 });
      expect((await client.jsm.consumers.info(stream, `${user}-probe`)).name).toBe(`${user}-probe`);
    }
    // Not read: no consumer, so no dead letters read or re-driven (DEADLETTER is the operator's).
    for (const stream of notRead) {
      expect(await refused(client.jsm.consumers.add(stream, { durable_name: `${user}-snoop`, ack_policy: AckPolicy.Explicit }))).toMatch(/permission|timeout/i);
    }
    expect(await refused(client.jsm.streams.delete(reads[0] ?? 'METER'))).toMatch(/permission|timeout/i);
    expect(await refused(client.jsm.streams.purge('BALANCING'))).toMatch(/permission|timeout/i);
  });

  it('gives the operator everything (prices, replays, re-drives) and an MPO head-end only the submit subject', async () => {
    const operator = await as('operator');
    await operator.ensureStreams(ALL_STREAMS);
    await expect(operator.publishRaw('market.prices.published', '{}', { eventId: 'p1', eventType: 'test' })).resolves.toMatchObject({ duplicate: false });
    const headEnd = await connect({ servers: server.url, reconnect: false, ...natsAuthOptions({ credentials: { user: 'head-end', password: server.passwords['head-end'] } }) });
    clients.push(headEnd);
    expect(await refused(headEnd.request(rpcSubject('meter-ingest.outbox.replay'), new Uint8Array(), { timeout: 1000 }))).toMatch(/permission|timeout|503|no responders/i);
    expect(await refused(headEnd.request('market.prices.published', new Uint8Array(), { timeout: 1000 }))).toMatch(/permission|timeout|503|no responders/i);
  });
});

it('exposes the run’s credentials through libs/testing', async () => {
  expect(testNatsCredentials('operator')).toMatchObject({ user: 'operator' });
  const nc = await connectTestNats({ user: 'chain-bridge' });
  await nc.close();
});
