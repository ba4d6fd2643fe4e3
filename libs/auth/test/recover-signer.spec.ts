import { Signature, Wallet, keccak256, randomBytes, recoverAddress, toBeHex } from 'ethers';
import { nativeRecovery, recoverSigner } from '../src/recover-signer';

/** An address, or the error's message: what a caller gets. */
function outcome(recover: () => string): { address: string } | { error: string } {
  try {
    return { address: recover() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

describe('recovering a signer', () => {
  it('uses libsecp256k1 where its prebuilt binding exists (Linux x64, this machine and CI)', () => {
    if (process.platform === 'linux' && process.arch === 'x64') expect(nativeRecovery).toBe(true);
    else expect(typeof nativeRecovery).toBe('boolean');
  });

  it('recovers what ethers recovers, for both recovery ids and for a flipped s', () => {
    const parities = new Set<number>();
    for (let i = 0; i < 40; i += 1) {
      const wallet = Wallet.createRandom();
      const digest = keccak256(randomBytes(32));
      const signature = wallet.signingKey.sign(digest);
      parities.add(signature.yParity);
      expect(recoverSigner(digest, signature)).toBe(wallet.address);
      expect(recoverSigner(digest, signature)).toBe(recoverAddress(digest, signature));
      // The other form of the same signature (s → n − s, parity flipped): the same outcome as ethers (which refuses its s).
      const flipped = Signature.from({ r: signature.r, s: toBeHex(N - BigInt(signature.s), 32), v: signature.v === 27 ? 28 : 27 });
      expect(outcome(() => recoverSigner(digest, flipped))).toEqual(outcome(() => recoverAddress(digest, flipped)));
      // Another digest recovers someone else.
      expect(recoverSigner(keccak256(randomBytes(32)), signature)).not.toBe(wallet.address);
    }
    expect([...parities].sort()).toEqual([0, 1]);
  });

  it('throws where ethers throws: an r that is no point of the curve', () => {
    const digest = keccak256(randomBytes(32));
    const signature = Wallet.createRandom().signingKey.sign(digest);
    // x = 5 has no y on secp256k1 (5³ + 7 = 132 is not a square mod p).
    const offCurve = Signature.from({ r: toBeHex(5n, 32), s: signature.s, v: signature.v });
    expect(() => recoverAddress(digest, offCurve)).toThrow();
    expect(() => recoverSigner(digest, offCurve)).toThrow();
  });
});
