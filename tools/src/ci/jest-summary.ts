/** Test counts a step reported; undefined fields were not reported. */
export interface TestCounts {
  readonly passed: number;
  readonly failed: number;
}

/**
 * Reads jest's closing "Tests:" line, e.g. `Tests:       1 failed, 2 skipped, 90 passed, 93 total`.
 * Returns undefined when the output has none (jest did not get as far as running tests).
 */
export function parseJestTestCounts(output: string): TestCounts | undefined {
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const lines = plain.split(/\r?\n/).filter((line) => /^Tests:\s+/.test(line.trim()));
  const last = lines[lines.length - 1];
  if (last === undefined) return undefined;
  const count = (label: string): number => Number(new RegExp(`(\\d+) ${label}`).exec(last)?.[1] ?? 0);
  return { passed: count('passed'), failed: count('failed') };
}

/** Suites jest reports as failed (`Test Suites: 1 failed, ...`): a suite that fails to load has no failed tests. */
export function parseJestFailedSuites(output: string): number {
  const plain = output.replace(/\u001b\[[0-9;]*m/g, '');
  const lines = plain.split(/\r?\n/).filter((line) => /^Test Suites:\s+/.test(line.trim()));
  return Number(/(\d+) failed/.exec(lines[lines.length - 1] ?? '')?.[1] ?? 0);
}

export function sumCounts(counts: readonly (TestCounts | undefined)[]): TestCounts {
  return counts.reduce<TestCounts>(
    (total, c) => ({ passed: total.passed + (c?.passed ?? 0), failed: total.failed + (c?.failed ?? 0) }),
    { passed: 0, failed: 0 },
  );
}
