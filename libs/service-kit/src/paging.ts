import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '@gridledger/domain';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** One page of a list: `next` is the absolute path of the following page, null on the last. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** The sort key of a row, in the list's order; the last row's key is the cursor to the next page. */
export type CursorKey = readonly (string | number)[];
/** The types of a list's sort key, so a cursor from another list (or a forged one) is refused. */
export type CursorShape = readonly ('string' | 'number')[];

/** base64url of the JSON key: opaque to clients, and never read without checking its shape. */
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, shape: CursorShape): CursorKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const fits = Array.isArray(key) && key.length === shape.length && key.every((part, i) => typeof part === shape[i] && (typeof part !== 'number' || Number.isSafeInteger(part)));
  if (!fits || cursor.length > 2000) throw new DomainError('invalid', 'INVALID_CURSOR', 'after', 'is not a cursor of this list; use the next link of the previous page');
  return key as CursorKey;
}

/**
 * What a list request asks for (`?after=<cursor>&limit=<n>`). Repositories fetch `fetchLimit`
 * rows (one more than a page) after `after` in their order; `page()` keeps `limit`, and links
 * the next page only when there is one, so nothing is ever cut silently.
 */
export class PageRequest {
  constructor(
    readonly after: CursorKey | null,
    readonly limit: number,
    /** The request's path and query, to build the next link from. */
    private readonly url: URL,
    private readonly response?: Response,
  ) {}

  /** Rows to fetch: one more than the page, to know whether another follows. */
  get fetchLimit(): number {
    return this.limit + 1;
  }

  /** The page of `rows` (fetched with fetchLimit); sets `Link: <next>; rel="next"` when there is a next page. */
  page<T>(rows: readonly T[], keyOf: (row: T) => CursorKey): Page<T> {
    const items = rows.slice(0, this.limit);
    let next: string | null = null;
    if (rows.length > this.limit && items.length > 0) {
      const url = new URL(this.url.href);
      url.searchParams.set('after', encodeCursor(keyOf(items[items.length - 1])));
      url.searchParams.set('limit', String(this.limit));
      next = `${url.pathname}${url.search}`;
      this.response?.setHeader('Link', `<${next}>; rel="next"`);
    }
    return { items, next };
  }
}

/** Reads `after` and `limit` from a query; a bad value is a 400 problem naming the field. */
export function parsePageRequest(query: Record<string, unknown>, pathAndQuery: string, shape: CursorShape, response?: Response): PageRequest {
  const { after, limit } = query;
  if (after !== undefined && typeof after !== 'string') throw DomainError.invalid('after', 'give one cursor', 'INVALID_CURSOR');
  if (limit !== undefined && (typeof limit !== 'string' || !/^[1-9][0-9]{0,3}$/.test(limit) || Number(limit) > MAX_PAGE_LIMIT)) {
    throw DomainError.invalid('limit', `must be an integer from 1 to ${MAX_PAGE_LIMIT}`, 'INVALID_LIMIT');
  }
  return new PageRequest(
    after === undefined ? null : decodeCursor(after, shape),
    limit === undefined ? DEFAULT_PAGE_LIMIT : Number(limit),
    new URL(pathAndQuery, 'http://localhost'),
    response,
  );
}

/** `@PageQuery(['string'])`: the list's PageRequest, the cursor checked against the sort key's shape. */
export const PageQuery = createParamDecorator((shape: CursorShape, context: ExecutionContext): PageRequest => {
  const http = context.switchToHttp();
  const request = http.getRequest<Request>();
  return parsePageRequest(request.query as Record<string, unknown>, request.originalUrl, shape, http.getResponse<Response>());
});
