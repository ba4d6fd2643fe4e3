import { readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

// docs/decisions.md "Where tests live": src/ holds only what ships. Specs and their support
// files live in the project's test/, benchmarks in its bench/.

const ROOT = resolve(__dirname, '..', '..');
const PROJECT_GROUPS = ['libs', 'services', 'tools', 'contracts'];
const SPEC = /\.(spec|int-spec|e2e-spec)\.ts$/;
const BENCH = /\.bench\.ts$/;
const TEST_SUPPORT = /test-support/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'artifacts', 'dist'].includes(entry.name) ? [] : filesUnder(path);
    return [relative(ROOT, path)];
  });
}

const files = PROJECT_GROUPS.flatMap((group) => filesUnder(join(ROOT, group)));
const segments = (file: string): string[] => file.split(sep);

describe('repository layout', () => {
  it('finds the specs it polices', () => {
    expect(files.filter((f) => SPEC.test(f)).length).toBeGreaterThan(40);
  });

  it('keeps specs, benchmarks and test support out of src/', () => {
    const misplaced = files.filter((f) => segments(f).includes('src') && (SPEC.test(f) || BENCH.test(f) || TEST_SUPPORT.test(f)));
    expect(misplaced).toEqual([]);
  });

  it('keeps specs under test/ and benchmarks under bench/', () => {
    expect(files.filter((f) => SPEC.test(f) && !segments(f).includes('test'))).toEqual([]);
    expect(files.filter((f) => BENCH.test(f) && !segments(f).includes('bench'))).toEqual([]);
  });
});
