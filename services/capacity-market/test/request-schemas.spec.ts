import { refusalOf } from '@gridledger/testing';
import { issueBody, parseBody, registerPlantBody, transferBody } from '../src/http/request-schemas';

describe('request bodies', () => {
  it('reads integers from decimal strings or safe JSON numbers', () => {
    expect(parseBody(issueBody, { holderId: 'h', sharesW: '5000' }).sharesW).toBe(5_000n);
    expect(parseBody(issueBody, { holderId: 'h', sharesW: 7 }).sharesW).toBe(7n);
  });

  it('names the field and the reason of each problem, the first leading', () => {
    expect(refusalOf(() => parseBody(transferBody, { fromHolderId: 'a', toHolderId: 'b', sharesW: '1.5' })).message).toBe(
      'sharesW: must be a non-negative integer (decimal string)',
    );
    expect(refusalOf(() => parseBody(issueBody, { sharesW: '1' })).message).toBe('holderId: is required');
    expect(refusalOf(() => parseBody(issueBody, { holderId: 'h', sharesW: 2 ** 60 })).field).toBe('sharesW');
    expect(refusalOf(() => parseBody(registerPlantBody, null)).field).toBe('plantId');
    expect(refusalOf(() => parseBody(transferBody, { fromHolderId: 'a', sharesW: 'x' })).errors.map((e) => e.field)).toEqual(['toHolderId', 'sharesW']);
  });

  it('refuses unknown fields, naming them', () => {
    const refusal = refusalOf(() => parseBody(issueBody, { holderId: 'h', sharesW: '1', shares: '100' }));
    expect(refusal.message).toMatch(/Unrecognized key.*shares/);
  });
});
