import { NATS_USERS, NATS_USER_NAMES, natsPasswordVariable, natsPermissions, renderNatsServerConfig, passwordsFromServerEnvironment, type NatsServiceName } from '@gridledger/messaging';

const SERVICES: NatsServiceName[] = ['meter-ingest', 'balancing', 'capacity-market', 'chain-bridge'];
const DOMAINS: Record<NatsServiceName, string> = { 'meter-ingest': 'meter', balancing: 'balancing', 'capacity-market': 'capacity', 'chain-bridge': 'chain' };

describe('NATS users and permissions (nats-access.ts)', () => {
  it.each(SERVICES)('%s alone publishes its domain’s subjects', (service) => {
    for (const other of SERVICES) {
      const publish = natsPermissions(NATS_USERS[other]).publish.allow;
      expect(publish.includes(`${DOMAINS[service]}.>`)).toBe(other === service);
      expect(publish).not.toContain('>');
      expect(publish.some((subject) => subject.startsWith('market.'))).toBe(false);
    }
  });

  it('lets only the operator ask for outbox replays: services subscribe to their own replay subject, nobody else publishes it', () => {
    for (const service of SERVICES) {
      const { subscribe, allow_responses } = natsPermissions(NATS_USERS[service]);
      expect(subscribe.allow).toContain(`rpc.${service}.outbox.replay`);
      expect(allow_responses).toBe(true);
      for (const other of NATS_USER_NAMES.filter((name) => name !== 'operator')) {
        expect(natsPermissions(NATS_USERS[other]).publish.allow.some((subject) => subject.includes('outbox.replay') || subject === 'rpc.>')).toBe(false);
      }
    }
    expect(natsPermissions(NATS_USERS.operator).publish.allow).toEqual(['>']);
  });

  it('gives each user its own reply inbox, consumer rights only on the streams it reads, and no stream deletion', () => {
    const balancing = natsPermissions(NATS_USERS.balancing);
    expect(balancing.subscribe.allow).toContain('_INBOX.balancing.>');
    expect(balancing.subscribe.allow).not.toContain('_INBOX.>');
    expect(balancing.publish.allow).toEqual(expect.arrayContaining(['$JS.API.CONSUMER.MSG.NEXT.METER.>', '$JS.ACK.CHAIN.>', 'platform.message.deadlettered.METER']));
    // balancing reads its own BALANCING stream back only to rebuild on an empty database (docs/integrity.md).
    expect(balancing.publish.allow).toContain('$JS.API.CONSUMER.CREATE.BALANCING.>');
    const chainBridge = natsPermissions(NATS_USERS['chain-bridge']);
    expect(chainBridge.publish.allow.some((subject) => subject.includes('.METER.') && subject.startsWith('$JS.API.CONSUMER'))).toBe(false);
    expect(chainBridge.publish.allow).toEqual(expect.arrayContaining(['rpc.balancing.proof.requested', '$JS.API.CONSUMER.INFO.BALANCING.>']));
    for (const service of SERVICES) expect(natsPermissions(NATS_USERS[service]).publish.allow.some((subject) => /DELETE|PURGE|MSG\.GET/.test(subject))).toBe(false);
  });

  it('widens subjects and stream names only when namespaced (tests, local stack)', () => {
    const namespaced = natsPermissions(NATS_USERS['meter-ingest'], { namespaced: true });
    expect(namespaced.publish.allow).toEqual(expect.arrayContaining(['meter.>', '*.meter.>', '$JS.API.STREAM.INFO.*']));
    expect(natsPermissions(NATS_USERS['meter-ingest']).publish.allow).not.toContain('*.meter.>');
  });

  it('renders a server config with every user, no anonymous user, passwords literal or from the environment', () => {
    const config = renderNatsServerConfig({ listen: '127.0.0.1:4333', storeDir: '/tmp/js', passwords: passwordsFromServerEnvironment() });
    expect(config).not.toMatch(/no_auth_user/);
    expect(config).toContain('listen: "127.0.0.1:4333"');
    for (const name of NATS_USER_NAMES) expect(config).toContain(`      user: "${name}"\n      password: $${natsPasswordVariable(name)}\n      permissions: {`);
    expect(natsPasswordVariable('meter-ingest')).toBe('METER_INGEST_NATS_PASSWORD');
    expect(natsPasswordVariable('capacity-market')).toBe('CAPACITY_NATS_PASSWORD');
    expect(natsPasswordVariable('operator')).toBe('NATS_OPERATOR_PASSWORD');
    const literal = renderNatsServerConfig({ passwords: Object.fromEntries(NATS_USER_NAMES.map((n) => [n, `pw-"${n}`])) as never, tls: { certFile: '/c', keyFile: '/k', caFile: '/ca' } });
    expect(literal).toContain('password: "pw-\\"balancing"\n');
    expect(literal).toContain('tls { cert_file: "/c", key_file: "/k", ca_file: "/ca" }');
  });
});
