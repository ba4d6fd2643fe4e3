import { DomainError } from '@gridledger/domain';

/** An HTTP error as every service answers it: RFC 9457 problem details (see service-kit). */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly errors: readonly { readonly field: string; readonly code: string; readonly reason: string }[];
}

export interface Answer {
  readonly status: number;
  /** The Content-Type header; null for replies off HTTP (NATS), which carry no media type. */
  readonly contentType: string | null;
  readonly body: unknown;
}

/** What is wrong with an answer that should be problem details (empty when nothing is). */
export function problemShapeFaults(answer: Answer): string[] {
  const faults: string[] = [];
  if (answer.contentType !== null && !/^application\/problem\+json\b/.test(answer.contentType)) faults.push(`content-type ${answer.contentType}`);
  const body = answer.body as Partial<ProblemBody> | null;
  if (!body || typeof body !== 'object') return [...faults, 'body is not an object'];
  if (typeof body.code !== 'string' || body.code.length === 0) faults.push('no code');
  if (body.type !== `urn:gridledger:problem:${body.code}`) faults.push(`type ${String(body.type)}`);
  if (typeof body.title !== 'string' || body.title.length === 0) faults.push('no title');
  if (body.status !== answer.status) faults.push(`status ${String(body.status)} in a ${answer.status} answer`);
  if (typeof body.detail !== 'string' || body.detail.length < 5) faults.push('no detail');
  const errors = body.errors;
  if (!Array.isArray(errors) || errors.length === 0) faults.push('no errors');
  else if (!errors.every((e) => e && typeof e.field === 'string' && typeof e.code === 'string' && typeof e.reason === 'string' && Object.keys(e).length === 3)) faults.push('an error without field, code and reason');
  return faults;
}

/** Asserts problem details with this status (and code, and first field), and returns the body. */
export function expectProblemAnswer(answer: Answer, expected: { status: number; code?: string; field?: string }): ProblemBody {
  expect({ status: answer.status, faults: problemShapeFaults(answer) }).toEqual({ status: expected.status, faults: [] });
  const body = answer.body as ProblemBody;
  if (expected.code !== undefined) expect(body.code).toBe(expected.code);
  if (expected.field !== undefined) expect(body.errors[0].field).toBe(expected.field);
  return body;
}

/** Reads a fetch Response that must be problem details; see expectProblemAnswer. */
export async function expectProblem(response: Response, expected: { status: number; code?: string; field?: string }): Promise<ProblemBody> {
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return expectProblemAnswer({ status: response.status, contentType: response.headers.get('content-type'), body }, expected);
}

/** Follows `next` links from `firstPath` and returns every item of every page, in order. */
export async function walkPages<T>(baseUrl: string, firstPath: string, headers: Record<string, string> = {}): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let pages = 0;
  for (let path: string | null = firstPath; path !== null; pages += 1) {
    const response = await fetch(`${baseUrl}${path}`, { headers });
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { items: T[]; next: string | null };
    const link = response.headers.get('link');
    if ((page.next === null) !== (link === null) || (link !== null && link !== `<${page.next}>; rel="next"`)) throw new Error(`${path}: Link header ${link} disagrees with next ${page.next}`);
    items.push(...page.items);
    path = page.next;
  }
  return { items, pages };
}

/** The DomainError `run` throws (anything else thrown, or nothing, fails the test). */
export function refusalOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal (DomainError), but it was accepted');
}
