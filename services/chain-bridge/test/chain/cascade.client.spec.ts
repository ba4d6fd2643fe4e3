import { cascadeInterface, decodeRevert } from '../../src/chain/cascade.client';

describe('decodeRevert', () => {
  it('names our custom errors with their arguments', () => {
    const caller = '0x000000000000000000000000000000000000dEaD';
    const group = `0x${'ab'.repeat(32)}`;
    const data = cascadeInterface.encodeErrorResult('CascadeUnauthorizedCommitter', [group, caller]);
    expect(decodeRevert(data, 'execution reverted')).toEqual({ errorName: 'CascadeUnauthorizedCommitter', args: [group, caller], data, message: 'execution reverted' });
  });

  it('keeps unknown revert data as it is, without a name', () => {
    expect(decodeRevert('0xdeadbeef', 'execution reverted')).toEqual({ errorName: null, args: [], data: '0xdeadbeef', message: 'execution reverted' });
    expect(decodeRevert(undefined, 'out of gas')).toEqual({ errorName: null, args: [], data: null, message: 'out of gas' });
  });
});
