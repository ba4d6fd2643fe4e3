import { useCallback, useEffect, useState } from 'react';
import type { BoardSnapshot } from '../../src/board.types';
import { currentSession } from './session';

export interface ConsoleConfig {
  readonly chainRpcUrl: string;
  readonly cascadeAddress: string | null;
  readonly chainId: number | null;
  readonly roleRegistryAddress: string | null;
  readonly services: readonly string[];
  readonly operatorActions: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GET a console API (or a service's, through /api/services/<name>/…); problem+json becomes an ApiError naming its detail. */
export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  // Reads proxied to the services carry the participant's session, when signed in.
  const session = path.startsWith('/api/services/') ? currentSession() : undefined;
  const headers = { accept: 'application/json', ...(session ? { authorization: session.authorization } : {}), ...(init?.headers ?? {}) };
  const response = await fetch(path, { ...init, headers });
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) {
    const detail = typeof body === 'object' && body !== null && 'detail' in body ? String((body as { detail: unknown }).detail) : `HTTP ${response.status}`;
    throw new ApiError(response.status, detail);
  }
  return body as T;
}

export const service = (name: 'meter-ingest' | 'balancing' | 'capacity-market' | 'chain-bridge', path: string): string => `/api/services/${name}${path}`;

export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly reload: () => void;
}

/** Loads a JSON resource; reloads when `key` (defaults to the path) changes or on `reload()`. */
export function useJson<T>(path: string | null, key: unknown = path): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    getJson<T>(path).then(
      (value) => live && (setData(value), setError(undefined)),
      (failure: unknown) => live && setError(failure instanceof Error ? failure.message : String(failure)),
    );
    return () => {
      live = false;
    };
  }, [path, key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, reload };
}

/**
 * The market board, live: the server announces each new revision on /api/events
 * (server-sent events, folded from the streams as events arrive) and the board is re-read.
 */
export function useBoard(): { board: BoardSnapshot | undefined; live: boolean; error: string | undefined } {
  const [revision, setRevision] = useState(0);
  const [live, setLive] = useState(false);
  useEffect(() => {
    const source = new EventSource('/api/events');
    source.addEventListener('board', (event) => setRevision((JSON.parse((event as MessageEvent<string>).data) as { revision: number }).revision));
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    return () => source.close();
  }, []);
  const { data, error } = useJson<BoardSnapshot>('/api/market', revision);
  return { board: data, live, error };
}

/** Wh (decimal string) → kWh with 3 decimals, exactly (no float rounding of large values). */
export function kWh(wh: string | bigint | null | undefined): string {
  if (wh === null || wh === undefined) return '—';
  const value = BigInt(wh);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${(abs / 1000n).toLocaleString('en')}.${(abs % 1000n).toString().padStart(3, '0')}`;
}

export function euros(cents: string | null | undefined): string {
  if (cents === null || cents === undefined) return '—';
  const value = BigInt(cents);
  const abs = value < 0n ? -value : value;
  return `${value < 0n ? '-' : ''}${(abs / 100n).toLocaleString('en')}.${(abs % 100n).toString().padStart(2, '0')} €`;
}

export const shortHex = (hex: string | null | undefined): string => (hex ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : '—');
export const timeOf = (periodId: string): string => periodId.slice(11, 16);
