/** JSON over HTTP for the demo's calls into the services; errors carry the service's answer. */
export class ServiceCallError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly body: string,
    /** The problem's code when the service answered problem details (every service does for its errors). */
    readonly code: string | null = null,
  ) {
    super(`${url} answered ${status}${code ? ` ${code}` : ''}: ${body.slice(0, 500)}`);
    this.name = 'ServiceCallError';
  }
}

export async function callJson<T>(url: string, init: { method?: string; body?: unknown; text?: string; headers?: Record<string, string> } = {}): Promise<T> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.text !== undefined) {
    body = init.text;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  if (!response.ok) {
    const problem = response.headers.get('content-type')?.startsWith('application/problem+json') ? (JSON.parse(text) as { code?: string; detail?: string }) : undefined;
    throw new ServiceCallError(response.status, url, problem?.detail ?? text, problem?.code ?? null);
  }
  return (text.length === 0 ? undefined : JSON.parse(text)) as T;
}
