import { getAddress } from 'ethers';
import { z } from 'zod';
import { parseOrRefuse } from '@gridledger/service-kit';

/** Integers travel as decimal strings (W, cents); numbers are accepted when they are safe integers. */
const integerString = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : '') : value;
  if (!/^(0|[1-9][0-9]{0,18})$/.test(text)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a non-negative integer (decimal string)' });
    return z.NEVER;
  }
  return BigInt(text);
});

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * A holder is the address that holds the shares (docs/trust.md): its id is that address in
 * checksummed (EIP-55) form. Any spelling of an address names the same holder; other text is
 * left as it is (it names no registered holder and is refused as unknown or not the signer).
 */
export function canonicalHolderId(value: string): string {
  if (!ADDRESS.test(value)) return value;
  try {
    return getAddress(value);
  } catch {
    return value; // mixed case with a wrong checksum: no holder is registered under it
  }
}

/** A holder id named by a command: canonical when it is an address. */
const holderIdString = z.string().transform(canonicalHolderId);

/** A holder registers under its own address: 0x and 40 hex digits, all one case or correctly checksummed. */
const holderAddress = z.string().transform((value, ctx) => {
  if (!ADDRESS.test(value)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be the holder’s address (0x and 40 hex digits): a holder is the address that holds the shares' });
    return z.NEVER;
  }
  try {
    return getAddress(value);
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'is not a correctly checksummed address (EIP-55): send it checksummed or all in one case' });
    return z.NEVER;
  }
});

export const registerPlantBody = z.object({
  plantId: z.string(),
  kind: z.string(),
  meterId: z.string(),
  capacityW: integerString,
  operator: z.string(),
  groupId: z.string(),
  feePerMWPeriodCents: integerString,
}).strict();

export const registerHolderBody = z.object({ holderId: holderAddress, consumptionMeterId: z.string(), groupId: z.string() }).strict();
export const issueBody = z.object({ holderId: holderIdString, sharesW: integerString }).strict();
export const retireBody = issueBody;
export const transferBody = z.object({ fromHolderId: holderIdString, toHolderId: holderIdString, sharesW: integerString }).strict();

/** Parses a request body; every problem is named (field and reason) in one 400 refusal. */
export function parseBody<S extends z.ZodTypeAny>(schema: S, body: unknown): z.infer<S> {
  return parseOrRefuse(schema, body ?? {}, '(body)');
}
