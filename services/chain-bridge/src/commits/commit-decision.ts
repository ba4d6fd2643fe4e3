import type { ContractRevert } from '../chain/cascade.client';

/**
 * The pure part of taking a version to the chain: given what the chain holds, what to do;
 * given the contract's refusal, whether to give up or look again later.
 */
export type CommitDecision =
  /** Already on chain with our root: record where, never send again. */
  | { readonly kind: 'adopt' }
  /** On chain with another root: an alarm, never an overwrite. */
  | { readonly kind: 'conflict'; readonly chainRoot: string }
  /** An earlier version is not on chain yet. */
  | { readonly kind: 'wait'; readonly reason: string }
  | { readonly kind: 'send' };

export function decideCommit(version: number, merkleRoot: string, chain: { readonly latestVersion: number; readonly rootOfVersion: string | null }): CommitDecision {
  if (chain.latestVersion >= version) {
    const chainRoot = chain.rootOfVersion ?? '';
    return chainRoot.toLowerCase() === merkleRoot.toLowerCase() ? { kind: 'adopt' } : { kind: 'conflict', chainRoot };
  }
  if (chain.latestVersion < version - 1) return { kind: 'wait', reason: `waiting for version ${chain.latestVersion + 1} on chain` };
  return { kind: 'send' };
}

export type RefusalAction =
  | { readonly kind: 'reject'; readonly code: 'role-violation' | 'invalid'; readonly reason: string }
  /** The chain moved or the cause is unknown: look again after `delayFactor` poll intervals. */
  | { readonly kind: 'retry'; readonly reason: string; readonly countAttempt: boolean; readonly delayFactor: number };

/** Reverts that are not transient: the contract refuses this version every time. */
const INVALID_ERRORS = new Set([
  'CascadeUnknownGroup',
  'CascadeGroupNotActive',
  'CascadeInvalidPeriod',
  'CascadeCorrectionWindowClosed',
  'CascadeTotalsOutOfRange',
  'CascadeUnbalanced',
  'CascadeEmptyRoot',
]);
export const MAX_UNEXPLAINED_REVERTS = 5;

export function classifyRefusal(revert: ContractRevert, context: { readonly attempts: number; readonly committer: string; readonly groupId: string }): RefusalAction {
  const name = revert.errorName;
  if (name === 'CascadeUnauthorizedCommitter') {
    return { kind: 'reject', code: 'role-violation', reason: `the bridge's key ${context.committer} is not the BRP of group ${context.groupId}` };
  }
  if (name !== null && INVALID_ERRORS.has(name)) {
    return { kind: 'reject', code: 'invalid', reason: `the contract refused it: ${name}(${revert.args.map(String).join(', ')})` };
  }
  // A period not yet ended is committed once it has (the chain's clock may lag the bridge's).
  if (name === 'CascadeVersionAlreadyCommitted' || name === 'CascadeVersionNotNext' || name === 'CascadePeriodNotEnded') {
    return { kind: 'retry', reason: name, countAttempt: false, delayFactor: 1 };
  }
  if (context.attempts + 1 >= MAX_UNEXPLAINED_REVERTS) {
    return { kind: 'reject', code: 'invalid', reason: `the contract refused it ${context.attempts + 1} times without a known reason: ${revert.message}` };
  }
  return { kind: 'retry', reason: revert.message, countAttempt: true, delayFactor: 2 ** context.attempts };
}
