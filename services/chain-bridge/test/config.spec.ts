import { loadConfig } from '@gridledger/service-kit';
import { configSchema } from '../src/config';

const valid = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  CHAIN_CASCADE_ADDRESS: `0x${'12'.repeat(20)}`,
  ROLE_REGISTRY_ADDRESS: `0x${'12'.repeat(20)}`,
  CHAIN_COMMITTER_KEY: `0x${'3a'.repeat(32)}`,
};

describe('chain-bridge config', () => {
  it('takes defaults for everything but the database, the contract, the role registry and the committer key', () => {
    expect(loadConfig(configSchema, valid)).toMatchObject({ CHAIN_RPC_URL: 'http://127.0.0.1:8545', CHAIN_CONFIRMATIONS: 3, CHAIN_MAX_FEE_BUMPS: 3, HTTP_PORT: 3004, ROLE_MIRROR_POLL_MS: 1000 });
    const { ROLE_REGISTRY_ADDRESS: _registry, ...withoutRegistry } = valid;
    expect(() => loadConfig(configSchema, withoutRegistry)).toThrow(/ROLE_REGISTRY_ADDRESS/);
  });

  it('separates duties: a committer refuses the TSO key, a finalizer needs it and refuses the committer key', () => {
    const refusal = (env: Record<string, string>): string => {
      try {
        loadConfig(configSchema, env);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    };
    const tsoKey = `0x${'4b'.repeat(32)}`;
    expect(refusal({ ...valid, CHAIN_TSO_KEY: tsoKey })).toContain('CHAIN_TSO_KEY: must not be set for a committer');
    expect(refusal({ ...valid, CHAIN_MODE: 'finalizer' })).toContain('CHAIN_TSO_KEY: is required (CHAIN_MODE=finalizer)');
    expect(refusal({ ...valid, CHAIN_MODE: 'finalizer', CHAIN_TSO_KEY: tsoKey })).toContain('CHAIN_COMMITTER_KEY: must not be set for a finalizer');
    const { CHAIN_COMMITTER_KEY: _committerKey, ...withoutCommitter } = valid;
    expect(loadConfig(configSchema, { ...withoutCommitter, CHAIN_MODE: 'finalizer', CHAIN_TSO_KEY: tsoKey })).toMatchObject({ CHAIN_MODE: 'finalizer' });
    expect(refusal(withoutCommitter)).toContain('CHAIN_COMMITTER_KEY: is required (CHAIN_MODE=committer)');
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
