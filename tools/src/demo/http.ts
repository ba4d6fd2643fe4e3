/** JSON over HTTP for the demo's calls into the services; errors carry the service's answer. */
export class ServiceCallError extends Error {
  constructor(
    readonly status: number,
    readonly url: string,
    readonly body: string,
  ) {
    super(`${url} answered ${status}: ${body.slice(0, 500)}`);
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
  if (!response.ok) throw new ServiceCallError(response.status, url, text);
  return (text.length === 0 ? undefined : JSON.parse(text)) as T;
}
