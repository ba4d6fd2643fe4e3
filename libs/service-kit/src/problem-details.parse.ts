import type { z } from 'zod';
import { DomainError } from '@gridledger/domain';

/**
 * Parses a request part (path, query, body) with its schema, or refuses it as `invalid`
 * naming every bad field and why (a 400 problem); `where` names the part when a problem has
 * no path of its own.
 */
export function parseOrRefuse<S extends z.ZodTypeAny>(schema: S, input: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw DomainError.many(
    'invalid',
    result.error.issues.map((issue) => ({
      field: issue.path.join('.') || where,
      code: 'INVALID_FIELD',
      reason: issue.message === 'Required' ? 'is required' : issue.message,
    })),
  );
}
