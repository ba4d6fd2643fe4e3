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
