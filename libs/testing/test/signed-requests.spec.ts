import { Wallet } from 'ethers';
import { authEnvironment, readSignedHeaders, verifySignedRequest } from '@gridledger/auth';
import { unauthorizedVariants } from '../src/signed-requests';

describe('unauthorizedVariants: the hostile signed writes every authenticated endpoint must refuse', () => {
  const environment = authEnvironment(31337, `0x${'12'.repeat(20)}`);
  const call = { method: 'POST', path: '/schedules', body: { scheduleId: 's-1' } };
  const verify = (headers: Record<string, string>, body: Buffer | undefined) =>
    verifySignedRequest(environment, { method: call.method, path: call.path, body: body ?? Buffer.alloc(0) }, readSignedHeaders((name) => headers[name]), Date.now());

  it('gives a valid original and variants whose signature check refuses them (401) or passes for a key without roles (403)', async () => {
    const signer = Wallet.createRandom();
    const { replayOf, variants } = await unauthorizedVariants(signer, environment, call);
    expect(verify(replayOf, Buffer.from(JSON.stringify(call.body))).signer).toBe(signer.address);
    for (const variant of variants) {
      if (variant.what === 'replayed nonce') continue; // refused by the nonce store, not the signature
      if (variant.status === 401) expect(() => verify(variant.headers, variant.body)).toThrow(expect.objectContaining({ kind: 'unauthenticated' }) as unknown as Error);
      else expect(verify(variant.headers, variant.body).signer).not.toBe(signer.address);
    }
    expect(variants.map((v) => v.what)).toEqual(['unsigned', 'expired', 'other chain', 'other verifying contract', 'tampered body', 'replayed nonce', 'a key without the role']);
  });
});
