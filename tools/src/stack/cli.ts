import { LocalStackOptions, startLocalStack } from './local-stack';
import { probeEvm, probeNats, probePostgres } from './probes';
import { stackEnvironment } from './stack-env';

// npm run stack [up|status] [--no-evm] [--no-reuse] [--random-ports]
//   up (default): reuse or start NATS, Postgres and anvil; stay in the foreground; Ctrl-C
//   stops what this command started and nothing else.
//   status: say what answers on the standard ports.

const USAGE = 'usage: npm run stack -- [up|status] [--no-evm] [--no-reuse] [--random-ports]';

async function up(options: LocalStackOptions): Promise<void> {
  const stack = await startLocalStack(options);
  const reused = stack.components.filter((c) => c.origin === 'reused').map((c) => c.name);
  const started = stack.components.filter((c) => c.origin === 'started').map((c) => c.name);
  console.log(`[stack] reused: ${reused.join(', ') || 'nothing'}; started: ${started.join(', ') || 'nothing'}`);
  console.log('[stack] environment for services and tests:');
  for (const [key, value] of Object.entries(stackEnvironment(stack))) console.log(`export ${key}=${value}`);
  console.log('[stack] up. Press Ctrl-C to stop what this command started.');

  // startLocalStack's signal guard stops what was started on Ctrl-C, then exits.
  // Keep the event loop alive while we wait for a signal.
  setInterval(() => undefined, 1 << 30);
}

async function status(): Promise<void> {
  const nats = await probeNats('127.0.0.1', 4222);
  const pg = await probePostgres('postgres://postgres@127.0.0.1:5432/postgres');
  const evm = await probeEvm('http://127.0.0.1:8545');
  console.log(`NATS     127.0.0.1:4222  ${nats.ok ? `up, ${nats.detail.version}, JetStream ${nats.detail.jetstream ? 'on' : 'off'}` : `down (${nats.reason})`}`);
  console.log(`Postgres 127.0.0.1:5432  ${pg.ok ? `up, ${pg.detail.version}` : `down (${pg.reason})`}`);
  console.log(`EVM      127.0.0.1:8545  ${evm.ok ? `up, chain id ${evm.detail.chainId}` : `down (${evm.reason})`}`);
}

/** Runs `stack` with its arguments; `up` stays in the foreground (never resolves) until Ctrl-C. Resolves 2 on a usage error. */
export async function runStack(argv: readonly string[]): Promise<number> {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const commands = argv.filter((a) => !a.startsWith('--'));
  const unknown = [...flags].filter((f) => !['--no-evm', '--no-reuse', '--random-ports'].includes(f));
  const command = commands[0] ?? 'up';
  if (unknown.length > 0 || commands.length > 1 || !['up', 'status'].includes(command)) {
    console.error(USAGE);
    return 2;
  }
  if (command === 'status') {
    await status();
    return 0;
  }
  await up({ evm: !flags.has('--no-evm'), reuse: !flags.has('--no-reuse'), ports: flags.has('--random-ports') ? 'random' : 'standard-first' });
  return new Promise<number>(() => undefined);
}

if (require.main === module) {
  runStack(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`[stack] ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
