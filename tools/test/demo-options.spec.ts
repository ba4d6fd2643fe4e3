import { defaultOptions, OptionsError, parseOptions } from '../src/demo/options';

// `npm run demo -- …`: the options, and --keep (keep the market and the console open until Ctrl-C).

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('demo options', () => {
  it('runs the default day and stops at its end unless told to keep it open', () => {
    expect(parseOptions([], NOW)).toEqual(defaultOptions(NOW));
    expect(parseOptions([], NOW).keep).toBeUndefined();
  });

  it('takes --keep as a flag without a value, anywhere among the others', () => {
    expect(parseOptions(['--keep'], NOW)).toMatchObject({ keep: true, meters: 3000 });
    expect(parseOptions(['--meters', '500', '--keep', '--periods', '8'], NOW)).toMatchObject({ keep: true, meters: 500, periods: 8 });
  });

  it('lists --keep in the usage', () => {
    expect(() => parseOptions(['--help'], NOW)).toThrow(OptionsError);
    expect(() => parseOptions(['--help'], NOW)).toThrow(/--keep\s+keep the market open after the day and serve the web console/);
  });
});
