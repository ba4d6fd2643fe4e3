// jest's globals (describe/it/expect), like given-when-then.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const AUTHORIZATION_DOC = join(__dirname, '..', '..', '..', 'docs', 'authorization.md');

export type Access = 'open' | 'signed' | 'session' | 'ops' | 'nats';
const ACCESS: readonly Access[] = ['open', 'signed', 'session', 'ops', 'nats'];

/** One row of a service's table in docs/authorization.md. */
export interface AuthorizationRow {
  /** `METHOD /path/{param}`, `consume <subject filter>` or `request <subject>`. */
  readonly interface: string;
  readonly access: Access;
  readonly who: string;
  readonly rule: string;
}

/** The rows of one `## <section>` table of docs/authorization.md (cells of the first column in backticks). */
export function authorizationTable(section: string, text = readFileSync(AUTHORIZATION_DOC, 'utf8')): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${section}`);
  if (start < 0) throw new Error(`docs/authorization.md has no section "## ${section}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    const match = /^\|\s*`([^`]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (match) rows.push([match[1], ...match[2].split('|').map((cell) => cell.trim())]);
  }
  return rows;
}

/** A service's rows, with the access kind checked. */
export function serviceAuthorizationRows(service: string, text?: string): AuthorizationRow[] {
  return authorizationTable(service, text).map(([name, access, who, rule]) => {
    if (!ACCESS.includes(access as Access)) throw new Error(`docs/authorization.md, ${service}, ${name}: access "${access}" is not one of ${ACCESS.join(', ')}`);
    return { interface: name, access: access as Access, who: who ?? '', rule: rule ?? '' };
  });
}

/**
 * The table's checks for one service: every route and subject it serves (service-kit's
 * `servedInterface`) has exactly one row, and every row is served; subjects are only `nats`
 * or `ops`, and what is open is only health, metrics, documents and public market data.
 */
export function describeAuthorizationTable(served: { service: string; routes: readonly string[]; subjects: readonly string[] }, openReads: readonly string[]): void {
  describe(`${served.service} authorization table (docs/authorization.md)`, () => {
    const rows = serviceAuthorizationRows(served.service);
    const names = rows.map((row) => row.interface);

    it('has one row per route and subject the service serves, and no other', () => {
      expect([...names].sort()).toEqual([...served.routes, ...served.subjects].sort());
      expect(new Set(names).size).toBe(names.length);
    });

    it('leaves open only health, metrics, API documents and the public market data named', () => {
      const open = rows.filter((row) => row.access === 'open').map((row) => row.interface);
      const always = ['GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /docs', 'GET /docs/openapi.json'];
      expect(open.sort()).toEqual([...always, ...openReads].sort());
    });

    it('writes are signed, subjects locked by NATS or the operator, and every non-open row names who', () => {
      for (const row of rows) {
        if (/^(POST|PUT|PATCH|DELETE) /.test(row.interface)) expect([row.interface, row.access]).toEqual([row.interface, 'signed']);
        if (/^(consume|request) /.test(row.interface)) expect(['nats', 'ops', 'signed']).toContain(row.access);
        if (row.interface.endsWith('.outbox.replay')) expect([row.interface, row.access, row.who]).toEqual([row.interface, 'ops', 'MARKET_OPERATOR']);
        if (row.access !== 'open') expect(row.who).not.toBe('');
      }
    });
  });
}
