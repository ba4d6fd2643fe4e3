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

export const registerPlantBody = z.object({
  plantId: z.string(),
  kind: z.string(),
  meterId: z.string(),
  capacityW: integerString,
  operator: z.string(),
  groupId: z.string(),
  feePerMWPeriodCents: integerString,
}).strict();

export const registerHolderBody = z.object({ holderId: z.string(), consumptionMeterId: z.string(), groupId: z.string() }).strict();
export const issueBody = z.object({ holderId: z.string(), sharesW: integerString }).strict();
export const retireBody = issueBody;
export const transferBody = z.object({ fromHolderId: z.string(), toHolderId: z.string(), sharesW: integerString }).strict();

/** Parses a request body; every problem is named (field and reason) in one 400 refusal. */
export function parseBody<S extends z.ZodTypeAny>(schema: S, body: unknown): z.infer<S> {
  return parseOrRefuse(schema, body ?? {}, '(body)');
}
