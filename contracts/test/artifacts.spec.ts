import { SOURCES_DIGEST } from '../src';
import { sourcesDigest } from '../build/sources';

describe('built contract artifacts', () => {
  it('were built from the Solidity sources as they are (else: npm run contracts:build)', () => {
    expect(SOURCES_DIGEST).toBe(sourcesDigest());
  });
});
