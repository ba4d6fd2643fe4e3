import { Signature, getAddress, getBytes, keccak256, recoverAddress } from 'ethers';

/** The native libsecp256k1 binding's one call used here (secp256k1 on npm, prebuilt for Linux, macOS and Windows). */
interface NativeSecp256k1 {
  ecdsaRecover(signature: Uint8Array, recoveryId: number, message: Uint8Array, compressed: boolean): Uint8Array;
}

/**
 * libsecp256k1 when its prebuilt binding loads on this platform, else null (ethers' JavaScript
 * recovers instead). Loaded directly rather than through the package's index, which would
 * fall back to a slower JavaScript curve of its own.
 */
const native: NativeSecp256k1 | null = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- an optional native binding, loaded at run time
    return require('secp256k1/bindings') as NativeSecp256k1;
  } catch {
    return null;
  }
})();

/** Whether signatures are recovered by libsecp256k1 here. */
export const nativeRecovery = native !== null;

/**
 * The address whose key signed `digest` (32 bytes, 0x-hex): what ethers' recoverAddress gives,
 * about thirty times faster where libsecp256k1 loads (0.06 against 1.8 ms; one recovery per
 * submitted batch). The signature is parsed by ethers either way (same accepted forms); a
 * signature the binding cannot recover is handed to ethers, which then throws as before.
 */
export function recoverSigner(digest: string, signatureLike: Signature | string): string {
  const signature = typeof signatureLike === 'string' ? Signature.from(signatureLike) : signatureLike;
  if (native !== null) {
    let publicKey: Uint8Array | undefined;
    try {
      publicKey = native.ecdsaRecover(getBytes(signature.serialized).subarray(0, 64), signature.yParity, getBytes(digest), false);
    } catch {
      // Not recoverable here (e.g. r off the curve): ethers decides and names it.
    }
    if (publicKey !== undefined) return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(26)}`);
  }
  return recoverAddress(digest, signature);
}
