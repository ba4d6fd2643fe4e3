import { NatsError } from 'nats';
import { classifyPublishFailure, MAX_PARK_REASON_LENGTH } from '../src/publish-failure';

const natsError = (code: string, message = code) => new NatsError(message, code);
const apiError = (code: number, errCode: number, description: string) => Object.assign(natsError('BAD API', description), { api_error: { code, err_code: errCode, description } });

describe('classifyPublishFailure', () => {
  it.each(['MAX_PAYLOAD_EXCEEDED', 'BAD_SUBJECT', 'BAD_HEADER', 'PERMISSIONS_VIOLATION'])('%s can never pass: permanent', (code) => {
    expect(classifyPublishFailure(natsError(code)).kind).toBe('permanent');
  });

  it.each(['503', 'TIMEOUT', 'CONNECTION_CLOSED', 'DISCONNECT'])('%s is the server away or busy: transient', (code) => {
    expect(classifyPublishFailure(natsError(code)).kind).toBe('transient');
  });

  it('a JetStream refusal of the message is permanent; a full stream or a cluster short of resources holds every row back', () => {
    expect(classifyPublishFailure(apiError(400, 10054, 'message size exceeds maximum allowed'))).toEqual({ kind: 'permanent', reason: 'JetStream refused (10054): message size exceeds maximum allowed' });
    expect(classifyPublishFailure(apiError(503, 10077, 'maximum messages exceeded')).kind).toBe('held');
    expect(classifyPublishFailure(apiError(400, 10077, 'maximum bytes exceeded')).kind).toBe('held');
    expect(classifyPublishFailure(apiError(500, 10008, 'JetStream system temporarily unavailable')).kind).toBe('held');
    expect(classifyPublishFailure(apiError(503, 10047, 'insufficient resources')).kind).toBe('held');
    expect(classifyPublishFailure(apiError(408, 0, 'request timeout')).kind).toBe('transient');
  });

  it('an unknown error is retried (the attempt limit parks it), and every reason is bounded', () => {
    const failure = classifyPublishFailure(new Error('y'.repeat(10_000)));
    expect(failure.kind).toBe('transient');
    expect(failure.reason).toHaveLength(MAX_PARK_REASON_LENGTH);
  });
});
