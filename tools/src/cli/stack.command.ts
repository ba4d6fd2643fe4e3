import type { Command } from 'commander';
import { runStack } from '../stack/cli';
import { CliFailure, CliUsageError, EXIT_USAGE } from './exit-codes';

interface StackOptions {
  readonly evm: boolean;
  readonly reuse: boolean;
  readonly randomPorts?: boolean;
}

/** `stack [up|status]`: the same as `npm run stack`, same flags. */
export function registerStack(program: Command): void {
  program
    .command('stack')
    .description('start (or reuse) NATS, Postgres and anvil in the foreground, or say what answers (same as npm run stack)')
    .argument('[command]', 'up (default) or status', 'up')
    .option('--no-evm', 'without anvil')
    .option('--no-reuse', 'start fresh ones even where something answers')
    .option('--random-ports', 'start on free ports instead of the standard ones')
    .action(async (command: string, options: StackOptions) => {
      const argv = [command, ...(options.evm ? [] : ['--no-evm']), ...(options.reuse ? [] : ['--no-reuse']), ...(options.randomPorts ? ['--random-ports'] : [])];
      const code = await runStack(argv);
      if (code === EXIT_USAGE) throw new CliUsageError(`stack takes up or status, not "${command}"`);
      if (code !== 0) throw new CliFailure(`stack ${command} failed`);
    });
}
