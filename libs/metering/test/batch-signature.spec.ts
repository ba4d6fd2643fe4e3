import { Wallet } from 'ethers';
import { BatchSignatureError, canonicalJson, jsonBatchDigest, signJsonBody, verifyBatchSignature } from '../src';

describe('batch signatures', () => {
  const mpo = Wallet.createRandom();
  const other = Wallet.createRandom();

  it('canonical JSON ignores key order and whitespace', () => {
    expect(canonicalJson({ b: 1, a: [{ y: '2', x: null }] })).toBe('{"a":[{"x":null,"y":"2"}],"b":1}');
    expect(jsonBatchDigest({ mpo: '0x1', intervals: [] })).toBe(jsonBatchDigest(JSON.parse('{ "intervals": [], "mpo": "0x1", "signature": "0xff" }')));
  });

  it('accepts the MPO signature over the digest', async () => {
    const body = await signJsonBody(mpo, 'readings-json', { mpo: mpo.address, intervals: [{ meterId: 'M', periodId: '2026-03-29T00:00:00Z', energyWh: '1' }] });
    expect(verifyBatchSignature('readings-json', jsonBatchDigest(body), body.signature, mpo.address.toLowerCase())).toBe(mpo.address);
  });

  it('refuses a signature from someone else, a tampered body and a digest signed for another format', async () => {
    const body = await signJsonBody(other, 'readings-json', { mpo: mpo.address, intervals: [] });
    expect(() => verifyBatchSignature('readings-json', jsonBatchDigest(body), body.signature, mpo.address)).toThrow(/not by the declared mpo/);
    const honest = await signJsonBody(mpo, 'readings-json', { mpo: mpo.address, intervals: ['1'] });
    const tampered = { ...honest, intervals: ['2'] };
    expect(() => verifyBatchSignature('readings-json', jsonBatchDigest(tampered), tampered.signature, mpo.address)).toThrow(BatchSignatureError);
    expect(() => verifyBatchSignature('mscons', jsonBatchDigest(honest), honest.signature, mpo.address)).toThrow(BatchSignatureError);
  });

  it('refuses malformed signatures with a reason', () => {
    for (const bad of [undefined, 12, '0x1234', `0x${'00'.repeat(65)}`]) {
      const error = (() => {
        try {
          verifyBatchSignature('readings-json', `0x${'11'.repeat(32)}`, bad, mpo.address);
        } catch (e) {
          return e as BatchSignatureError;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(BatchSignatureError);
      expect(error?.message.length).toBeGreaterThan(10);
    }
  });
});
