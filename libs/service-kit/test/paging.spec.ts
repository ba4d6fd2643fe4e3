import { refusalOf } from '@gridledger/testing';
import { decodeCursor, encodeCursor, parsePageRequest, type PageRequest } from '@gridledger/service-kit';

describe('cursor paging', () => {
  it('defaults to 100 rows and reads a cursor back to the key it was made of', () => {
    const request = parsePageRequest({}, '/plants', ['string']);
    expect(request).toMatchObject({ after: null, limit: 100, fetchLimit: 101 });
    const cursor = encodeCursor(['2026-03-29T01:00:00Z', 7]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, ['string', 'number'])).toEqual(['2026-03-29T01:00:00Z', 7]);
  });

  it('refuses a bad limit or a cursor of another shape, naming the field', () => {
    for (const limit of ['0', '1001', '-1', '1.5', 'ten', '', '01']) expect(refusalOf(() => parsePageRequest({ limit }, '/x', ['string']))).toMatchObject({ kind: 'invalid', field: 'limit' });
    expect(refusalOf(() => parsePageRequest({ limit: ['1', '2'] }, '/x', ['string'])).field).toBe('limit');
    for (const after of ['%%%', encodeCursor([1]), encodeCursor(['a', 'b']), Buffer.from('{"a":1}').toString('base64url')]) {
      expect(refusalOf(() => parsePageRequest({ after }, '/x', ['string']))).toMatchObject({ kind: 'invalid', code: 'INVALID_CURSOR', field: 'after' });
    }
    expect(refusalOf(() => parsePageRequest({ after: encodeCursor([1.5]) }, '/x', ['number'])).code).toBe('INVALID_CURSOR');
    expect(refusalOf(() => parsePageRequest({ after: ['a', 'b'] }, '/x', ['string'])).field).toBe('after');
  });

  it('links the next page only when there is one, keeping the other query parameters', () => {
    const headers = new Map<string, string>();
    const response = { setHeader: (name: string, value: string) => headers.set(name, value) };
    const request: PageRequest = parsePageRequest({ limit: '2' }, '/groups/BG-1/periods?limit=2&status=open', ['string'], response as never);
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const page = request.page(rows, (row) => [row.id]);
    expect(page.items).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(page.next).toBe(`/groups/BG-1/periods?limit=2&status=open&after=${encodeCursor(['b'])}`);
    expect(headers.get('Link')).toBe(`<${page.next}>; rel="next"`);
    expect(request.page(rows.slice(0, 2), (row) => [row.id])).toEqual({ items: rows.slice(0, 2), next: null });
  });

  it('walks a list page by page and returns every row exactly once', () => {
    const all = Array.from({ length: 23 }, (_, i) => `id-${String(i).padStart(2, '0')}`);
    const seen: string[] = [];
    let url: string | null = '/list?limit=5';
    while (url) {
      const query = Object.fromEntries(new URL(url, 'http://localhost').searchParams);
      const request = parsePageRequest(query, url, ['string']);
      const rows = all.filter((id) => request.after === null || id > request.after[0]).slice(0, request.fetchLimit);
      const page = request.page(rows, (id) => [id]);
      seen.push(...page.items);
      url = page.next;
    }
    expect(seen).toEqual(all);
  });
});
