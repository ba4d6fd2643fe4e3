import { parseJestFailedSuites, parseJestTestCounts, sumCounts } from '../src/ci/jest-summary';

describe('parseJestTestCounts', () => {
  it('reads the closing Tests line, with or without failures and colours', () => {
    expect(parseJestTestCounts('PASS a\nTests:       90 passed, 90 total\nTime: 1 s')).toEqual({ passed: 90, failed: 0 });
    expect(parseJestTestCounts('Tests:       1 failed, 2 skipped, 97 passed, 100 total')).toEqual({ passed: 97, failed: 1 });
    expect(parseJestTestCounts('\u001b[1mTests:       \u001b[22m\u001b[1m\u001b[31m3 failed\u001b[39m\u001b[22m, 5 passed, 8 total')).toEqual({ passed: 5, failed: 3 });
  });

  it('takes the last Tests line when a test prints one of its own', () => {
    expect(parseJestTestCounts('Tests: 1 passed\nTests:       4 passed, 4 total')).toEqual({ passed: 4, failed: 0 });
  });

  it('is undefined when jest never got to run tests', () => {
    expect(parseJestTestCounts('No tests found, exiting with code 0')).toBeUndefined();
  });
});

describe('sumCounts', () => {
  it('adds the steps that reported counts and skips the others', () => {
    expect(sumCounts([{ passed: 2, failed: 1 }, undefined, { passed: 5, failed: 0 }])).toEqual({ passed: 7, failed: 1 });
  });
});

describe('parseJestFailedSuites', () => {
  it('counts suites that failed, including those that failed to load', () => {
    expect(parseJestFailedSuites('Test Suites: 1 failed, 17 passed, 18 total\nTests:       65 passed, 65 total')).toBe(1);
    expect(parseJestFailedSuites('Test Suites: 18 passed, 18 total')).toBe(0);
  });
});
