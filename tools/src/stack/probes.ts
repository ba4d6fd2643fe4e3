import { Socket } from 'node:net';
import { Client } from 'pg';

// Cheap "is it there and is it the right thing" checks used to decide reuse vs start.

export type Probe<T> = { readonly ok: true; readonly detail: T } | { readonly ok: false; readonly reason: string };

export interface NatsInfo {
  readonly version: string;
  readonly jetstream: boolean;
}

/** Connects over TCP and reads the server's INFO line; a NATS server sends it unprompted. */
export function probeNats(host: string, port: number, timeoutMs = 1500): Promise<Probe<NatsInfo>> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let buffered = '';
    const finish = (result: Probe<NatsInfo>): void => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => finish({ ok: false, reason: `no INFO line within ${timeoutMs} ms` }));
    socket.once('error', (error) => finish({ ok: false, reason: error.message }));
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      const end = buffered.indexOf('\r\n');
      if (end < 0) return;
      const line = buffered.slice(0, end);
      if (!line.startsWith('INFO ')) {
        finish({ ok: false, reason: `not a NATS server (first line: ${line.slice(0, 40)})` });
        return;
      }
      try {
        const info = JSON.parse(line.slice(5)) as { version?: unknown; jetstream?: unknown };
        finish({ ok: true, detail: { version: String(info.version ?? 'unknown'), jetstream: info.jetstream === true } });
      } catch {
        finish({ ok: false, reason: 'INFO line is not JSON' });
      }
    });
    socket.connect(port, host);
  });
}

/** Opens a real pg connection and asks for the server version. */
export async function probePostgres(url: string, timeoutMs = 2000): Promise<Probe<{ version: string }>> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return { ok: true, detail: { version: result.rows[0]?.server_version ?? 'unknown' } };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Asks an EVM JSON-RPC endpoint for eth_chainId. */
export async function probeEvm(url: string, timeoutMs = 1500): Promise<Probe<{ chainId: bigint }>> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return { ok: false, reason: `HTTP ${response.status}` };
    const body = (await response.json()) as { result?: unknown };
    if (typeof body.result !== 'string' || !/^0x[0-9a-fA-F]+$/.test(body.result)) {
      return { ok: false, reason: 'eth_chainId returned no hex chain id' };
    }
    return { ok: true, detail: { chainId: BigInt(body.result) } };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
