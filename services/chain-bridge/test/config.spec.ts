import { loadConfig } from '@gridledger/service-kit';
import { configSchema } from '../src/config';

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  CHAIN_CASCADE_ADDRESS: `0x${'12'.repeat(20)}`,
  CHAIN_COMMITTER_KEY: `0x${'3a'.repeat(32)}`,
};

describe('chain-bridge config', () => {
  it('takes defaults for everything but the database, the contract and the committer key', () => {
    expect(loadConfig(configSchema, valid)).toMatchObject({ CHAIN_RPC_URL: 'http://127.0.0.1:8545', CHAIN_CONFIRMATIONS: 3, CHAIN_MAX_FEE_BUMPS: 3, HTTP_PORT: 3004 });
  });

  it('names a bad key without repeating it', () => {
    const secret = `0x${'3a'.repeat(31)}`;
    let message = '';
    try {
      loadConfig(configSchema, { ...valid, CHAIN_COMMITTER_KEY: secret, CHAIN_CONFIRMATIONS: '0' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('CHAIN_COMMITTER_KEY: must be a 32-byte private key');
    expect(message).toContain('CHAIN_CONFIRMATIONS: must be positive');
    expect(message).not.toContain(secret.slice(2));
  });
});
