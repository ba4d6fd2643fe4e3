// jest's globals (describe/it/expect), like given-when-then.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a service's document test needs; service-kit's apiDocumentUnderTest gives it. */
export interface ApiDocumentUnderTest {
  readonly service: string;
  readonly document: { readonly paths?: Record<string, unknown> };
  /** `METHOD /path/{param}` of every route the service serves, and of every documented operation. */
  readonly served: readonly string[];
  readonly documented: readonly string[];
  /** A fresh generation, as written to docs/api/<service>.openapi.json. */
  readonly json: string;
}

/**
 * @seriousme/openapi-schema-validator is ESM only, which jest (CommonJS) cannot load, so it
 * runs in a child node process that reads the document on stdin.
 */
function validateOpenApi(document: object): { valid: boolean; errors?: unknown; version: string } {
  const script = `import { Validator } from '@seriousme/openapi-schema-validator';
    let input = ''; for await (const chunk of process.stdin) input += chunk;
    const validator = new Validator(); const result = await validator.validate(JSON.parse(input));
    process.stdout.write(JSON.stringify({ ...result, version: validator.version }));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { input: JSON.stringify(document), cwd: __dirname, encoding: 'utf8' });
  return JSON.parse(output) as { valid: boolean; errors?: unknown; version: string };
}

/**
 * The checks every service's OpenAPI document passes: it validates as OpenAPI 3.1, every
 * HTTP route the service serves (its controllers plus service-kit's health, metrics and docs)
 * is in it with its method and nothing else is, refusals answer problem+json, and
 * docs/api/<service>.openapi.json is what a fresh generation writes (`npm run api-docs`).
 */
export function describeApiDocument({ service, document, served, documented, json }: ApiDocumentUnderTest): void {
  describe(`${service} OpenAPI document`, () => {
    it('is a valid OpenAPI 3.1 document', () => {
      const result = validateOpenApi(document);
      expect(result.errors ?? []).toEqual([]);
      expect(result.valid).toBe(true);
      expect(result.version).toBe('3.1');
    });

    it('documents every route the service serves, and only those', () => {
      expect(served).toContain('GET /health/live');
      expect(served).toContain('GET /docs/openapi.json');
      expect(served.length).toBeGreaterThan(5);
      expect(documented).toEqual(served);
    });

    it('answers refusals with the problem+json response', () => {
      for (const item of Object.values(document.paths ?? {})) {
        for (const operation of Object.values(item as Record<string, { responses?: Record<string, unknown> }>)) {
          expect(operation.responses?.['4XX']).toEqual({ $ref: '#/components/responses/Problem' });
        }
      }
    });

    it(`equals docs/api/${service}.openapi.json (run \`npm run api-docs\` after changing a route)`, () => {
      const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'api', `${service}.openapi.json`), 'utf8');
      expect(committed).toBe(json);
    });
  });
}
