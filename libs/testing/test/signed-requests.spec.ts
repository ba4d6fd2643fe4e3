import { Wallet } from 'ethers';
import { authEnvironment, readSignedHeaders, verifySignedRequest } from '@gridledger/auth';
import { expectedStatuses, signatureAttacks, type SignatureAttackRequest } from '../src/signed-requests';

describe('signatureAttacks: the hostile signed writes every authenticated endpoint must refuse', () => {
  const environment = authEnvironment(31337, `0x${'12'.repeat(20)}`);
  const valid = { method: 'POST', path: '/plants/pv-1/shares/issue', body: Buffer.from(JSON.stringify({ holderId: 'h-1', sharesW: '5' })) };
  const rightSigner = Wallet.createRandom();
  const roleHolder = Wallet.createRandom();
  const otherParty = { signer: Wallet.createRandom(), body: Buffer.from(JSON.stringify({ holderId: 'h-2', sharesW: '5' })) };
  const verify = async (request: SignatureAttackRequest) => {
    const headers = await request.headers();
    return verifySignedRequest(environment, { method: request.method, path: request.path, body: request.body }, readSignedHeaders((name) => headers[name]), Date.now());
  };
  const unauthenticated = expect.objectContaining({ kind: 'unauthenticated' }) as unknown as Error;

  it('draws every kind; the 401 ones fail the signature check, the 403 ones pass it for a key other than the right one', async () => {
    const spec = { valid, rightSigner, wrongSigners: [roleHolder], wrongParties: [otherParty], environment, refusedBody: { body: Buffer.from('{}'), status: 400 } };
    const requests = signatureAttacks(spec, 300, 1);
    expect(requests).toHaveLength(300);
    expect(new Set(requests.map((request) => request.what))).toEqual(
      new Set(['unsigned', 'malformed header', 'signer header not the signer', 'tampered body', 'expired', 'too far ahead', 'other chain', 'other contract', 'wrong role', 'first use of a replayed nonce', 'replayed nonce']),
    );
    const rightAddress = rightSigner.address;
    for (const [i, request] of requests.entries()) {
      if (request.what === 'first use of a replayed nonce') {
        // Passes the signature (refused behind it), and its replay is the next request with the same headers.
        expect((await verify(request)).signer).toBe(rightAddress);
        expect(requests[i + 1]?.what === 'replayed nonce' || i === requests.length - 1).toBe(true);
        if (i + 1 < requests.length) expect(await requests[i + 1].headers()).toEqual(await request.headers());
      } else if (request.what === 'replayed nonce') {
        expect(requests[i - 1].what).toBe('first use of a replayed nonce'); // refused by the nonce store, not the signature
      } else if (request.expected === 401) {
        await expect(verify(request)).rejects.toThrow(unauthenticated);
      } else {
        expect(request.expected).toBe(403);
        expect((await verify(request)).signer).not.toBe(rightAddress);
      }
    }
    expect(expectedStatuses(requests)).toEqual({ 400: requests.filter((r) => r.expected === 400).length, 401: requests.filter((r) => r.expected === 401).length, 403: requests.filter((r) => r.expected === 403).length });
  });

  it('replays an accepted request when given one, and draws no replay without one', () => {
    const accepted = { path: '/plants', headers: { 'x-gl-nonce': '0x01' }, body: Buffer.from('{}') };
    const replays = signatureAttacks({ valid, rightSigner, wrongSigners: [], environment, accepted }, 200, 2).filter((request) => request.what === 'replayed nonce');
    expect(replays.length).toBeGreaterThan(0);
    expect(replays.every((request) => request.path === '/plants' && request.body === accepted.body && request.expected === 401)).toBe(true);
    expect(signatureAttacks({ valid, rightSigner, wrongSigners: [], environment }, 200, 2).some((request) => request.what.includes('replayed'))).toBe(false);
  });

  it('is the same for the same seed', () => {
    const spec = { valid, rightSigner, wrongSigners: [roleHolder], environment };
    const kinds = (seed: number) => signatureAttacks(spec, 50, seed).map((request) => `${request.what}:${request.body.toString('hex')}`);
    expect(kinds(7)).toEqual(kinds(7));
  });
});
