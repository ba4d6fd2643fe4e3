import { z } from 'zod';
import { defineEvent } from './define-event';
import { addressString, bytes32String, groupIdString, periodIdString, whString } from './wire';

/**
 * Events published by chain-bridge about the settlement cascade on the EVM chain. Chain
 * integers (block numbers, chain id) fit a JS number; energy stays a decimal string.
 */

const anchorSchema = {
  chainId: z.number().int().positive(),
  contract: addressString,
  txHash: bytes32String,
  blockNumber: z.number().int().nonnegative(),
  blockHash: bytes32String,
};

const commitmentSchema = {
  groupId: groupIdString,
  periodId: periodIdString,
  version: z.number().int().positive(),
  merkleRoot: bytes32String,
  ...anchorSchema,
};

/** A group's period version is in a block (not yet final: see chain.period.confirmed). */
export const ChainPeriodCommitted = defineEvent({
  type: 'chain.period.committed',
  schemaVersion: 1,
  domain: 'chain',
  entity: 'period',
  pastTense: 'committed',
  keyed: true,
  schema: z.object(commitmentSchema).strict(),
});

/** The commit is `confirmations` blocks deep on the canonical chain: safe to rely on. */
export const ChainPeriodConfirmed = defineEvent({
  type: 'chain.period.confirmed',
  schemaVersion: 1,
  domain: 'chain',
  entity: 'period',
  pastTense: 'confirmed',
  keyed: false,
  schema: z.object({ ...commitmentSchema, confirmations: z.number().int().positive() }).strict(),
});

/** The TSO finalized the period market-wide (`finalization` counts 1, 2, … after corrections). */
export const ChainPeriodFinalized = defineEvent({
  type: 'chain.period.finalized',
  schemaVersion: 1,
  domain: 'chain',
  entity: 'period',
  pastTense: 'finalized',
  keyed: false,
  schema: z
    .object({
      periodId: periodIdString,
      revision: z.number().int().positive(),
      groups: z.array(z.object({ groupId: groupIdString, version: z.number().int().positive() }).strict()).min(1),
      totals: z.object({ feedInWh: whString, feedOutWh: whString, scheduleNetWh: whString, imbalanceWh: whString }).strict(),
      confirmations: z.number().int().positive(),
      ...anchorSchema,
    })
    .strict(),
});

/**
 * A settled version the bridge will not anchor: the contract refused it (`role-violation`:
 * the bridge's key lacks the group's BRP/MPO role; `invalid`: unbalanced, unknown group, …)
 * or the chain already holds this version with a different root (`root-conflict`, an alarm;
 * never overwritten). Not retried.
 */
export const ChainPeriodRejected = defineEvent({
  type: 'chain.period.rejected',
  schemaVersion: 1,
  domain: 'chain',
  entity: 'period',
  pastTense: 'rejected',
  keyed: true,
  schema: z
    .object({
      groupId: groupIdString,
      periodId: periodIdString,
      version: z.number().int().positive(),
      merkleRoot: bytes32String,
      code: z.enum(['role-violation', 'invalid', 'root-conflict']),
      reason: z.string().min(1),
      /** The contract's custom error name, when the contract refused it. */
      contractError: z.string().nullable(),
      chainRoot: bytes32String.nullable(),
    })
    .strict(),
});
