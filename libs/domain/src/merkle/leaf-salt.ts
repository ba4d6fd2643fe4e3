import { createHmac } from 'node:crypto';
import { Keccak256 } from './keccak';
import { hashMessages } from './message-batch';

/**
 * Salts of the meter leaves. A leaf without a salt is (meter, period, direction, energy): the
 * sibling hashes in a served proof could be brute-forced over plausible energies to recover a
 * neighbour's consumption. With a secret 32-byte salt per leaf they cannot.
 *
 * Derivation, fast enough for a million leaves a group-period:
 * - one key per group-period-version: HMAC-SHA256(master key, "gridledger:leaf-salt:1|" group
 *   "|" period start (unix seconds) "|" version). The master key is balancing's
 *   (BALANCING_LEAF_SALT_KEY); a new version gets new salts, so corrections reveal nothing
 *   about which leaves changed;
 * - per leaf: keccak256(version key ‖ direction byte ‖ UTF-8 meter id). A secret-prefixed
 *   Keccak is a PRF (no length extension; the construction KMAC is built on), one permutation
 *   for the usual meter id instead of HMAC's four SHA-256 blocks.
 * Anyone handed a salt with its proof can check the leaf; no one can derive another leaf's salt.
 */
export const LEAF_SALT_KEY_BYTES = 32;

export function leafSaltVersionKey(masterKey: Uint8Array, groupId: string, periodStartSeconds: bigint, version: number): Buffer {
  if (masterKey.length < LEAF_SALT_KEY_BYTES) throw new RangeError(`the leaf salt key must have at least ${LEAF_SALT_KEY_BYTES} bytes`);
  return createHmac('sha256', masterKey).update(`gridledger:leaf-salt:1|${groupId}|${periodStartSeconds}|${version}`, 'utf8').digest();
}

/** The salts of leaves given as columns, 32 bytes each in input order; into `into` if given (at least 32 bytes a leaf). */
export function leafSalts(versionKey: Uint8Array, meterIds: readonly string[], directions: Uint8Array, keccak: Keccak256, into?: Buffer): Buffer {
  if (into && into.length < meterIds.length * 32) throw new RangeError('the salts need 32 bytes a leaf');
  const salts = into ?? Buffer.allocUnsafe(meterIds.length * 32);
  hashMessages(meterIds.length, salts, false, keccak, (batch, i) => {
    // UTF-8 takes at most three bytes per UTF-16 unit.
    const message = batch.reserve(33 + meterIds[i].length * 3);
    message.set(versionKey, batch.length);
    message[batch.length + 32] = directions[i];
    batch.end(33 + message.write(meterIds[i], batch.length + 33, 'utf8'));
  });
  return salts;
}

/** One leaf's salt (a proof, a test). */
export function leafSalt(versionKey: Uint8Array, meterId: string, direction: 0 | 1, keccak: Keccak256): Buffer {
  return leafSalts(versionKey, [meterId], Uint8Array.of(direction), keccak);
}

/** A 0x-hex leaf salt key (BALANCING_LEAF_SALT_KEY) as bytes; at least 32 bytes. */
export function parseLeafSaltKey(hex: string): Buffer {
  if (!/^0x([0-9a-fA-F]{2}){32,}$/.test(hex)) throw new RangeError(`the leaf salt key must be 0x-prefixed hex of at least ${LEAF_SALT_KEY_BYTES} bytes`);
  return Buffer.from(hex.slice(2), 'hex');
}
