import { z } from 'zod';
import { commonConfigSchema, ConfigError, loadConfig } from '../src/config';

const schema = commonConfigSchema(3002).extend({ BALANCING_GATE_DEADLINE_MS: z.coerce.number().int().positive('must be a positive number of milliseconds') });
const valid = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/gridledger', BALANCING_GATE_DEADLINE_MS: '1800000' };

describe('loadConfig', () => {
  it('applies the defaults of the common variables', () => {
    expect(loadConfig(schema, valid)).toEqual({
      DATABASE_URL: valid.DATABASE_URL,
      BALANCING_GATE_DEADLINE_MS: 1_800_000,
      NATS_URL: 'nats://127.0.0.1:4222',
      HTTP_PORT: 3002,
      HTTP_HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      NATS_STREAM_REPLICAS: 1,
    });
  });

  it('names every bad variable and why, not just the first', () => {
    const env = { NATS_URL: 'http://x', HTTP_PORT: 'eighty', LOG_LEVEL: 'loud', BALANCING_GATE_DEADLINE_MS: '-5', NATS_NAMESPACE: 'a.b' };
    let error: unknown;
    try {
      loadConfig(schema, env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(
      expect.arrayContaining([
        { variable: 'DATABASE_URL', reason: 'is required but not set' },
        { variable: 'NATS_URL', reason: 'must be a nats:// URL (comma-separated for a cluster)' },
        { variable: 'HTTP_PORT', reason: 'must be a port number' },
        { variable: 'LOG_LEVEL', reason: 'must be one of debug, info, warn, error' },
        { variable: 'BALANCING_GATE_DEADLINE_MS', reason: 'must be a positive number of milliseconds' },
        { variable: 'NATS_NAMESPACE', reason: 'must be 1-32 letters, digits, _ or -' },
      ]),
    );
    expect((error as Error).message).toMatch(/^invalid configuration: .*DATABASE_URL: is required but not set/);
  });

  it('treats an empty variable as unset, so the default applies', () => {
    expect(loadConfig(schema, { ...valid, HTTP_PORT: '', NATS_NAMESPACE: '' })).toMatchObject({ HTTP_PORT: 3002 });
  });

  it('takes 1, 3 or 5 stream replicas', () => {
    expect(loadConfig(schema, { ...valid, NATS_STREAM_REPLICAS: '3' })).toMatchObject({ NATS_STREAM_REPLICAS: 3 });
    expect(() => loadConfig(schema, { ...valid, NATS_STREAM_REPLICAS: '2' })).toThrow('NATS_STREAM_REPLICAS: must be 1, 3 or 5');
  });

  it('in production, requires NATS_STREAM_REPLICAS to be set explicitly, naming it', () => {
    expect(() => loadConfig(schema, { ...valid, NODE_ENV: 'production' })).toThrow(
      'invalid configuration: NATS_STREAM_REPLICAS: must be set explicitly when NODE_ENV=production (1, 3 or 5: the replicas of every JetStream stream)',
    );
    expect(loadConfig(schema, { ...valid, NODE_ENV: 'production', NATS_STREAM_REPLICAS: '3' })).toMatchObject({ NATS_STREAM_REPLICAS: 3 });
    expect(loadConfig(schema, { ...valid, NODE_ENV: 'test' })).toMatchObject({ NATS_STREAM_REPLICAS: 1 });
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig(schema, { ...valid, HTTP_PORT: '70000' })).toThrow('HTTP_PORT: must be 0-65535');
  });
});
