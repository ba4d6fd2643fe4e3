import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { JsonLogger } from '../src/json-logger';

describe('JsonLogger', () => {
  const lines: string[] = [];
  const logger = new JsonLogger({ service: 'balancing', level: 'info', write: (line) => lines.push(line) });
  beforeEach(() => (lines.length = 0));

  it('writes one JSON object per line with Nest’s context', () => {
    logger.log('period closed', 'GateClosure');
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', service: 'balancing', context: 'GateClosure', msg: 'period closed' });
  });
  it('drops lines below the level', () => {
    logger.debug('noise');
    expect(lines).toHaveLength(0);
  });
  it('keeps the stack of errors and writes bigint as decimal strings', () => {
    logger.error('settle failed', 'Error: boom\n    at x', 'Settler');
    logger.event('warn', 'imbalance', { imbalanceWh: 12345678901234567890n });
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'error', context: 'Settler', stack: 'Error: boom\n    at x' });
    expect(JSON.parse(lines[1])).toMatchObject({ level: 'warn', imbalanceWh: '12345678901234567890' });
  });
  it('carries trace_id and span_id of the active span', () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    try {
      const ctx = trace.setSpanContext(context.active(), { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED });
      context.with(ctx, () => logger.log('inside'));
      logger.log('outside');
    } finally {
      context.disable();
    }
    expect(JSON.parse(lines[0])).toMatchObject({ msg: 'inside', trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' });
    expect(JSON.parse(lines[1]).trace_id).toBeUndefined();
  });
});
