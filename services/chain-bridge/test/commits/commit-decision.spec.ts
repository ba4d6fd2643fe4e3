import type { ContractRevert } from '../../src/chain/cascade.client';
import { MAX_UNEXPLAINED_REVERTS, classifyRefusal, decideCommit } from '../../src/commits/commit-decision';

const ROOT = `0x${'ab'.repeat(32)}`;
const OTHER = `0x${'cd'.repeat(32)}`;

describe('decideCommit', () => {
  it('sends the next version', () => {
    expect(decideCommit(1, ROOT, { latestVersion: 0, rootOfVersion: null })).toEqual({ kind: 'send' });
    expect(decideCommit(3, ROOT, { latestVersion: 2, rootOfVersion: null })).toEqual({ kind: 'send' });
  });

  it('adopts a version already on chain with the same root (any hex case), never sends it twice', () => {
    expect(decideCommit(2, ROOT, { latestVersion: 2, rootOfVersion: ROOT.toUpperCase().replace('0X', '0x') })).toEqual({ kind: 'adopt' });
    expect(decideCommit(1, ROOT, { latestVersion: 3, rootOfVersion: ROOT })).toEqual({ kind: 'adopt' });
  });

  it('raises a conflict for the same version with another root', () => {
    expect(decideCommit(1, ROOT, { latestVersion: 1, rootOfVersion: OTHER })).toEqual({ kind: 'conflict', chainRoot: OTHER });
  });

  it('waits while an earlier version is missing on chain', () => {
    expect(decideCommit(3, ROOT, { latestVersion: 1, rootOfVersion: null })).toEqual({ kind: 'wait', reason: 'waiting for version 2 on chain' });
  });
});

describe('classifyRefusal', () => {
  const revert = (errorName: string | null, args: unknown[] = []): ContractRevert => ({ errorName, args, data: null, message: 'execution reverted' });
  const context = { attempts: 0, committer: '0xC0ffee0000000000000000000000000000000000', groupId: 'GRP-A' };

  it('rejects a role violation once, naming the key and the group', () => {
    expect(classifyRefusal(revert('CascadeUnauthorizedCommitter'), context)).toEqual({
      kind: 'reject',
      code: 'role-violation',
      reason: "the bridge's key 0xC0ffee0000000000000000000000000000000000 is not the BRP of group GRP-A",
    });
  });

  it('rejects what the contract refuses every time, with the error and its arguments', () => {
    expect(classifyRefusal(revert('CascadeUnbalanced', ['0x01', 1n, 5n, 6n]), context)).toEqual({ kind: 'reject', code: 'invalid', reason: 'the contract refused it: CascadeUnbalanced(0x01, 1, 5, 6)' });
  });

  it('looks again when the chain moved, without counting an attempt', () => {
    expect(classifyRefusal(revert('CascadeVersionNotNext'), context)).toEqual({ kind: 'retry', reason: 'CascadeVersionNotNext', countAttempt: false, delayFactor: 1 });
  });

  it('retries an unexplained revert with growing delay, then gives up', () => {
    expect(classifyRefusal(revert(null), { ...context, attempts: 2 })).toEqual({ kind: 'retry', reason: 'execution reverted', countAttempt: true, delayFactor: 4 });
    expect(classifyRefusal(revert(null), { ...context, attempts: MAX_UNEXPLAINED_REVERTS - 1 })).toMatchObject({ kind: 'reject', code: 'invalid' });
  });
});
