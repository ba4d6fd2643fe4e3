import { stackEnvironment } from '../src/stack/stack-env';
import type { LocalStack } from '../src/stack';

const natsPasswords = { 'meter-ingest': 'pw-mi', balancing: 'pw-b', 'capacity-market': 'pw-c', 'chain-bridge': 'pw-cb', operator: 'pw-op', 'head-end': 'pw-he' };
const stackAt = (rpcUrl: string | undefined): LocalStack => ({
  natsUrl: 'nats://127.0.0.1:4222',
  natsPasswords,
  databaseUrl: 'postgres://postgres@127.0.0.1:5433/gridledger',
  adminDatabaseUrl: 'postgres://postgres@127.0.0.1:5433/postgres',
  rpcUrl,
  components: [],
  stop: async () => undefined,
});

describe('stackEnvironment', () => {
  it('exports the URLs and the libpq variables of the same server', () => {
    expect(stackEnvironment(stackAt('http://127.0.0.1:8545'))).toEqual({
      NATS_URL: 'nats://127.0.0.1:4222',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/gridledger',
      DATABASE_ADMIN_URL: 'postgres://postgres@127.0.0.1:5433/postgres',
      PG_ADMIN_URL: 'postgres://postgres@127.0.0.1:5433/postgres',
      PGHOST: '127.0.0.1',
      PGPORT: '5433',
      PGUSER: 'postgres',
      TEST_NATS_URL: 'nats://127.0.0.1:4222',
      TEST_PG_HOST: '127.0.0.1',
      TEST_PG_PORT: '5433',
      TEST_PG_USER: 'postgres',
      METER_INGEST_NATS_PASSWORD: 'pw-mi',
      BALANCING_NATS_PASSWORD: 'pw-b',
      CAPACITY_NATS_PASSWORD: 'pw-c',
      CHAIN_NATS_PASSWORD: 'pw-cb',
      NATS_OPERATOR_PASSWORD: 'pw-op',
      NATS_HEAD_END_PASSWORD: 'pw-he',
      CHAIN_RPC_URL: 'http://127.0.0.1:8545',
    });
  });

  it('leaves CHAIN_RPC_URL out when the stack has no EVM node', () => {
    expect(stackEnvironment(stackAt(undefined))).not.toHaveProperty('CHAIN_RPC_URL');
  });
});
