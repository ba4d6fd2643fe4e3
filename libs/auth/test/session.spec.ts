import { Wallet } from 'ethers';
import { DomainError } from '@gridledger/domain';
import { MAX_SESSION_MS, authEnvironment, signSession, verifySession } from '@gridledger/auth';

const wallet = Wallet.createRandom();
const env = authEnvironment(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
const NOW = Date.parse('2026-11-24T12:00:00Z');

function code(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError && error.kind === 'unauthenticated') return error.code;
    throw error;
  }
  return 'accepted';
}

describe('read sessions (Sign-In with Ethereum)', () => {
  it('verifies a session signed for this environment until it expires', async () => {
    const header = await signSession(wallet, env, { nowMs: NOW, ttlMs: 600_000 });
    expect(header.startsWith('SIWE ')).toBe(true);
    expect(verifySession(header, env, NOW + 1000)).toEqual({ address: wallet.address, expiresAtMs: NOW + 600_000 });
    expect(code(() => verifySession(header, env, NOW + 600_000))).toBe('EXPIRED');
  });

  it('refuses a session for another chain or registry', async () => {
    const otherChain = await signSession(wallet, authEnvironment(1, env.verifyingContract), { nowMs: NOW });
    const otherRegistry = await signSession(wallet, authEnvironment(31337, '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'), { nowMs: NOW });
    expect(code(() => verifySession(otherChain, env, NOW))).toBe('WRONG_ENVIRONMENT');
    expect(code(() => verifySession(otherRegistry, env, NOW))).toBe('WRONG_ENVIRONMENT');
  });

  it('refuses a session whose message was altered or signed by another key', async () => {
    const header = await signSession(wallet, env, { nowMs: NOW });
    const [, token] = header.split(' ');
    const [message, signature] = token.split('.');
    const text = Buffer.from(message, 'base64url').toString('utf8');
    const other = Wallet.createRandom();
    const forged = Buffer.from(text.replace(wallet.address, other.address), 'utf8').toString('base64url');
    expect(code(() => verifySession(`SIWE ${forged}.${signature}`, env, NOW))).toBe('BAD_SIGNATURE');
    expect(code(() => verifySession(undefined, env, NOW))).toBe('UNAUTHENTICATED');
    expect(code(() => verifySession('Bearer abc', env, NOW))).toBe('MALFORMED_AUTH');
    await expect(signSession(wallet, env, { ttlMs: MAX_SESSION_MS + 1 })).rejects.toThrow(RangeError);
  });
});
