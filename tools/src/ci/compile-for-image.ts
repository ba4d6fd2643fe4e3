import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { transformFileSync, type Options } from '@swc/core';

// Container images run JavaScript, not TypeScript: this transpiles every workspace package's
// src/ (not its specs; tools/src too, for the tools image) to .js next to the sources with the repo's .swcrc (decorator metadata
// for Nest), and points each package.json `main` at the .js entry. Run it in the image's
// build stage only: it rewrites package.json files in place.
//   node -r @swc-node/register tools/src/ci/compile-for-image.ts

const SPEC = /\.(spec|int-spec|e2e-spec)\.ts$|\.d\.ts$/;

function workspacePackages(root: string): string[] {
  const groups = ['libs', 'services', 'apps'].flatMap((group) =>
    (statSync(join(root, group), { throwIfNoEntry: false })?.isDirectory() ? readdirSync(join(root, group)) : []).map((name) => join(root, group, name)),
  );
  return [...groups, join(root, 'contracts'), join(root, 'tools')].filter((dir) => statSync(join(dir, 'src'), { throwIfNoEntry: false })?.isDirectory());
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !SPEC.test(entry.name) ? [path] : [];
  });
}

/** Transpiles every package under `root`; returns how many files and packages. */
export function compileWorkspace(root: string): { files: number; packages: number } {
  const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8')) as Options & { $schema?: string };
  delete swcrc.$schema;
  const options: Options = { ...swcrc, swcrc: false, sourceMaps: false };
  let files = 0;
  const packages = workspacePackages(root);
  for (const dir of packages) {
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
  return { files, packages: packages.length };
}

if (require.main === module) {
  const { files, packages } = compileWorkspace(resolve(__dirname, '..', '..', '..'));
  process.stdout.write(`compiled ${files} files in ${packages} packages\n`);
}
