import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';

/** Parses a request part, or answers 400 naming every bad field and why. */
export function parseOr400<S extends z.ZodTypeAny>(schema: S, input: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ field: issue.path.join('.') || what, reason: issue.message }));
  throw new BadRequestException({ error: `invalid ${what}: ${issues.map((i) => `${i.field}: ${i.reason}`).join('; ')}`, issues });
}
