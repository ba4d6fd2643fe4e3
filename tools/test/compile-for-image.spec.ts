import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileWorkspace } from '../src/ci/compile-for-image';

// The images' build step: a copy of libs/domain (inside the repo's ignored .stack/, so its
// imports still resolve from the root node_modules) is transpiled and loads as JavaScript.

const ROOT = resolve(__dirname, '..', '..');

describe('compileWorkspace', () => {
  let root: string;
  beforeAll(() => {
    mkdirSync(join(ROOT, '.stack'), { recursive: true });
    root = mkdtempSync(join(ROOT, '.stack', 'compile-'));
    cpSync(join(ROOT, '.swcrc'), join(root, '.swcrc'));
    cpSync(join(ROOT, 'libs', 'domain'), join(root, 'libs', 'domain'), { recursive: true });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('writes .js next to each source but not for specs, points main at it, and the result loads', () => {
    const { files, packages } = compileWorkspace(root);
    expect(packages).toBe(1);
    expect(files).toBeGreaterThan(3);
    const lib = join(root, 'libs', 'domain');
    expect(existsSync(join(lib, 'src', 'index.js'))).toBe(true);
    expect(existsSync(join(lib, 'src', 'energy.js'))).toBe(true);
    expect(JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8')).main).toBe('src/index.js');
    const compiled = readFileSync(join(lib, 'src', 'energy.js'), 'utf8');
    expect(compiled).toMatch(/\bexports\b/); // CommonJS, as Node runs it
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const domain = require(join(lib, 'src', 'index.js')) as Record<string, unknown>;
    expect(Object.keys(domain).length).toBeGreaterThan(5);
  });
});
