/** One piece of infrastructure the stack provides, either found running or started by us. */
export interface StackComponent {
  readonly name: 'NATS' | 'Postgres' | 'EVM node';
  readonly url: string;
  readonly origin: 'reused' | 'started';
  /** What it is (version, chain id, pid) for the "reused/started" lines. */
  readonly description: string;
  /** Stops it when we started it; a no-op for reused ones. */
  stop(): Promise<void>;
}

export type StackLog = (line: string) => void;

export function reusedComponent(name: StackComponent['name'], url: string, description: string): StackComponent {
  return { name, url, origin: 'reused', description, stop: async () => undefined };
}
