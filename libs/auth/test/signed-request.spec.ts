import { Wallet } from 'ethers';
import { DomainError } from '@gridledger/domain';
import { OFF_THREAD_DIGEST_BYTES, SIGNED_REQUEST_HEADERS, authEnvironment, bodySha256, bodySha256Async, readSignedHeaders, signRequest, verifySignedRequest } from '@gridledger/auth';

const wallet = Wallet.createRandom();
const env = authEnvironment(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const NOW = Date.parse('2026-11-24T12:00:00Z');
const body = Buffer.from('{"intervals":[]}');
const request = { method: 'POST', path: '/readings?x=1', body };

async function signed(overrides: { nowMs?: number; ttlSeconds?: number } = {}, signer = wallet, environment = env) {
  const headers = await signRequest(signer, environment, request, { nowMs: NOW, ...overrides });
  return readSignedHeaders((name) => headers[name]);
}

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('signed requests (EIP-712)', () => {
  it('verifies a request signed for this environment, path and body', async () => {
    const claim = await signed();
    expect(verifySignedRequest(env, request, claim, NOW).signer).toBe(wallet.address);
  });

  it('refuses a request signed for another chain or registry (cross-environment replay)', async () => {
    const otherChain = await signed({}, wallet, authEnvironment(1, env.verifyingContract));
    const otherRegistry = await signed({}, wallet, authEnvironment(31337, '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'));
    for (const claim of [otherChain, otherRegistry]) {
      const error = refusal(() => verifySignedRequest(env, request, claim, NOW));
      expect([error.kind, error.code, error.field]).toEqual(['unauthenticated', 'BAD_SIGNATURE', SIGNED_REQUEST_HEADERS.signature]);
    }
  });

  it('refuses a tampered body, path, query or method', async () => {
    const claim = await signed();
    for (const tampered of [
      { ...request, body: Buffer.from('{"intervals":[1]}') },
      { ...request, path: '/readings' },
      { ...request, path: '/readings?x=2' },
      { ...request, method: 'PUT' },
    ]) {
      expect(refusal(() => verifySignedRequest(env, tampered, claim, NOW)).code).toBe('BAD_SIGNATURE');
    }
  });

  it('refuses an expired request and one that expires more than 15 minutes ahead', async () => {
    const claim = await signed({ ttlSeconds: 60 });
    expect(refusal(() => verifySignedRequest(env, request, claim, NOW + 61_000)).code).toBe('EXPIRED');
    const far = { ...claim, expiry: BigInt(NOW / 1000 + 3600) };
    expect(refusal(() => verifySignedRequest(env, request, far, NOW)).code).toBe('EXPIRY_TOO_FAR');
    await expect(signRequest(wallet, env, request, { ttlSeconds: 901 })).rejects.toThrow(RangeError);
  });

  it('refuses a signature by another key than the claimed signer', async () => {
    const claim = await signed({}, Wallet.createRandom());
    expect(refusal(() => verifySignedRequest(env, request, { ...claim, signer: wallet.address }, NOW)).code).toBe('BAD_SIGNATURE');
  });

  it('refuses missing and malformed headers, naming the header', () => {
    expect(refusal(() => readSignedHeaders(() => undefined)).code).toBe('UNAUTHENTICATED');
    const headers: Record<string, string> = { 'x-gl-signer': wallet.address, 'x-gl-nonce': '0x12', 'x-gl-expiry': '1', 'x-gl-signature': '0x' };
    const error = refusal(() => readSignedHeaders((name) => headers[name]));
    expect([error.kind, error.field]).toEqual(['unauthenticated', 'x-gl-nonce']);
  });
});

describe('the body digest off the event loop', () => {
  it('is bodySha256, for small bodies and for those hashed on the thread pool', async () => {
    for (const size of [0, 1, 1000, OFF_THREAD_DIGEST_BYTES - 1, OFF_THREAD_DIGEST_BYTES, 3 * OFF_THREAD_DIGEST_BYTES + 7]) {
      const body = Buffer.alloc(size, 0x61 + (size % 26));
      expect(await bodySha256Async(body)).toBe(bodySha256(body));
    }
    // A view into a larger buffer hashes the view's bytes only.
    const whole = Buffer.alloc(2 * OFF_THREAD_DIGEST_BYTES, 0x62);
    whole.fill(0x63, 0, 10);
    const view = whole.subarray(10, 10 + OFF_THREAD_DIGEST_BYTES + 5);
    expect(await bodySha256Async(view)).toBe(bodySha256(view));
  });
});
