import { DomainError } from '@gridledger/domain';
import { issueBody, parseBody, registerPlantBody, transferBody } from '../src/http/request-schemas';

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('request bodies', () => {
  it('reads integers from decimal strings or safe JSON numbers', () => {
    expect(parseBody(issueBody, { holderId: 'h', sharesW: '5000' }).sharesW).toBe(5_000n);
    expect(parseBody(issueBody, { holderId: 'h', sharesW: 7 }).sharesW).toBe(7n);
  });

  it('names the field and the reason of each problem, the first leading', () => {
    expect(refusal(() => parseBody(transferBody, { fromHolderId: 'a', toHolderId: 'b', sharesW: '1.5' })).message).toBe(
      'sharesW: must be a non-negative integer (decimal string)',
    );
    expect(refusal(() => parseBody(issueBody, { sharesW: '1' })).message).toBe('holderId: is required');
    expect(refusal(() => parseBody(issueBody, { holderId: 'h', sharesW: 2 ** 60 })).field).toBe('sharesW');
    expect(refusal(() => parseBody(registerPlantBody, null)).field).toBe('plantId');
    expect(refusal(() => parseBody(transferBody, { fromHolderId: 'a', sharesW: 'x' })).errors.map((e) => e.field)).toEqual(['toHolderId', 'sharesW']);
  });
});
