import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { transformFileSync, type Options } from '@swc/core';

// Container images run JavaScript, not TypeScript: this transpiles every workspace package's
// src/ (not its specs) to .js next to the sources with the repo's .swcrc (decorator metadata
// for Nest), and points each package.json `main` at the .js entry. Run it in the image's
// build stage only: it rewrites package.json files in place.
//   node -r @swc-node/register tools/src/ci/compile-for-image.ts

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const SPEC = /\.(spec|int-spec|e2e-spec)\.ts$|\.d\.ts$/;

function workspacePackages(): string[] {
  const groups = ['libs', 'services'].flatMap((group) =>
    readdirSync(join(REPO_ROOT, group)).map((name) => join(REPO_ROOT, group, name)),
  );
  return [...groups, join(REPO_ROOT, 'contracts')].filter((dir) => statSync(join(dir, 'src'), { throwIfNoEntry: false })?.isDirectory());
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !SPEC.test(entry.name) ? [path] : [];
  });
}

function main(): void {
  const swcrc = JSON.parse(readFileSync(join(REPO_ROOT, '.swcrc'), 'utf8')) as Options & { $schema?: string };
  delete swcrc.$schema;
  const options: Options = { ...swcrc, swcrc: false, sourceMaps: false };
  let files = 0;
  for (const dir of workspacePackages()) {
    for (const source of sourcesUnder(join(dir, 'src'))) {
      writeFileSync(source.replace(/\.ts$/, '.js'), transformFileSync(source, { ...options, filename: source }).code);
      files++;
    }
    const manifestPath = join(dir, 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { main?: string };
    if (manifest.main?.endsWith('.ts')) {
      manifest.main = manifest.main.replace(/\.ts$/, '.js');
      writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    }
  }
  process.stdout.write(`compiled ${files} files in ${workspacePackages().length} packages\n`);
}

main();
