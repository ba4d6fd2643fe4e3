import { withChildSpan } from '@gridledger/telemetry';

/**
 * A minimal JSON-RPC client over fetch with a timeout per call. No retries and no caching
 * here: the chain worker owns the retry policy, and cached answers (nonces, heads) would be
 * wrong after a reorg.
 */
export class RpcUnavailableError extends Error {
  constructor(
    readonly method: string,
    override readonly cause: unknown,
  ) {
    super(`chain RPC ${method} unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'RpcUnavailableError';
  }
}

export class RpcResponseError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
    readonly data: string | undefined,
  ) {
    super(`chain RPC ${method} failed: ${code} ${rpcMessage}`);
    this.name = 'RpcResponseError';
  }
}

export class JsonRpcClient {
  private nextId = 1;

  constructor(
    readonly url: string,
    private readonly timeoutMs = 5_000,
  ) {}

  /** Inside a trace, each call is a span named by its method (the fetch's HTTP span is its child). */
  call<T>(method: string, params: readonly unknown[] = []): Promise<T> {
    return withChildSpan(`jsonrpc ${method}`, { attributes: { 'rpc.system': 'jsonrpc', 'rpc.method': method } }, () => this.send<T>(method, params));
  }

  private async send<T>(method: string, params: readonly unknown[]): Promise<T> {
    let body: { result?: T; error?: { code: number; message: string; data?: unknown } };
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      body = (await response.json()) as typeof body;
    } catch (error) {
      throw new RpcUnavailableError(method, error);
    }
    if (body.error) {
      const data = typeof body.error.data === 'string' ? body.error.data : undefined;
      throw new RpcResponseError(method, body.error.code, body.error.message, data);
    }
    return body.result as T;
  }
}
