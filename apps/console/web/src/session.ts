import { BrowserProvider, getAddress, hexlify, type Eip1193Provider } from 'ethers';
import { SiweMessage } from 'siwe';
import type { ConsoleConfig } from './api';

/**
 * Sign-In with Ethereum for reads: the participant's wallet (window.ethereum) signs an
 * EIP-4361 message naming this deployment, sent as `Authorization: SIWE <base64url
 * message>.<signature>` with every read the console proxies to the services, which verify it
 * on their own (libs/auth/src/session.ts: same domain, statement and URI as here; the console
 * server's /api/session checks a new session with that very verifier before it is used).
 */
const DOMAIN = 'gridledger';
const STATEMENT = 'Read gridledger data as this address.';
const LIFETIME_MS = 60 * 60 * 1000;
const KEY = 'gridledger.session';

export interface Session {
  readonly address: string;
  readonly authorization: string;
  readonly expiresAt: string;
}

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

export function currentSession(): Session | undefined {
  const stored = sessionStorage.getItem(KEY);
  if (!stored) return undefined;
  const session = JSON.parse(stored) as Session;
  if (Date.parse(session.expiresAt) <= Date.now()) {
    sessionStorage.removeItem(KEY);
    return undefined;
  }
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

const base64url = (text: string): string => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export async function signIn(config: ConsoleConfig): Promise<Session> {
  if (!window.ethereum) throw new Error('no Ethereum wallet in this browser (window.ethereum)');
  if (config.chainId === null || !config.roleRegistryAddress) throw new Error('sign-in is not configured on this console (CONSOLE_CHAIN_ID, CONSOLE_ROLE_REGISTRY_ADDRESS)');
  const signer = await new BrowserProvider(window.ethereum).getSigner();
  const address = getAddress(await signer.getAddress());
  const now = Date.now();
  const message = new SiweMessage({
    domain: DOMAIN,
    address,
    statement: STATEMENT,
    uri: `urn:gridledger:${config.chainId}:${config.roleRegistryAddress.toLowerCase()}`,
    version: '1',
    chainId: config.chainId,
    nonce: hexlify(crypto.getRandomValues(new Uint8Array(12))).slice(2),
    issuedAt: new Date(now).toISOString(),
    expirationTime: new Date(now + LIFETIME_MS).toISOString(),
  }).prepareMessage();
  const authorization = `SIWE ${base64url(message)}.${await signer.signMessage(message)}`;
  const checked = await fetch('/api/session', { headers: { authorization } });
  const body = (await checked.json()) as { address?: string; expiresAt?: string; detail?: string };
  if (!checked.ok || !body.address || !body.expiresAt) throw new Error(`the session was refused: ${body.detail ?? checked.status}`);
  const session: Session = { address: body.address, authorization, expiresAt: body.expiresAt };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}
