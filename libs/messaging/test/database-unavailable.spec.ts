import { isDatabaseUnavailable } from '../src/consumer';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a connection exception (class 08)', withCode('08006')],
    ['an administrator shutdown', withCode('57P01')],
    ['too many connections', withCode('53300')],
    ['a refused socket', withCode('ECONNREFUSED')],
    ['TypeORM wrapping the driver error', Object.assign(new Error('query failed'), { driverError: withCode('57P01') })],
    ['pg losing the connection', new Error('Connection terminated unexpectedly')],
    ['a database closed to connections', withCode('55000', 'database "t_1" is not currently accepting connections')],
  ])('is true for %s', (_what, error) => expect(isDatabaseUnavailable(error)).toBe(true));

  it.each([
    ['a unique violation', withCode('23505')],
    ['a check violation', withCode('23514')],
    ['a plain handler error', new Error('unknown meter DE0001')],
  ])('is false for %s', (_what, error) => expect(isDatabaseUnavailable(error)).toBe(false));
});
