import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_DIR = join(__dirname, '..', 'src');

/** Every .sol under contracts/src, keyed by the path solc sees. */
export function readSources(): Record<string, { content: string }> {
  const sources: Record<string, { content: string }> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (entry.name.endsWith('.sol')) sources[`${prefix}${entry.name}`] = { content: readFileSync(join(dir, entry.name), 'utf8') };
    }
  };
  walk(SOURCE_DIR, '');
  return sources;
}

/** What the artifacts are built from: the Solidity sources and the compiler settings. */
export const COMPILER_SETTINGS = {
  // via-IR with many runs: the commit path is what the market pays for, every period and group.
  optimizer: { enabled: true, runs: 100_000 },
  viaIR: true,
  evmVersion: 'cancun',
} as const;

/** sha256 over the sources (sorted by path), the settings and the OpenZeppelin and solc versions: recorded in the built artifacts. */
export function sourcesDigest(): string {
  const versions = ['@openzeppelin/contracts', 'solc'].map((name) => (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version);
  const hash = createHash('sha256').update(JSON.stringify({ settings: COMPILER_SETTINGS, versions }));
  const sources = readSources();
  for (const path of Object.keys(sources).sort()) hash.update(`\0${path}\0${sources[path].content}`);
  return `sha256:${hash.digest('hex')}`;
}

