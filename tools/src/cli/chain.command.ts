import type { Command } from 'commander';
import { USAGE, UsageError, parseChainCommand, refusalOf, runChainCommand } from '../chain/cli';
import { CliFailure, CliUsageError, messageOf, type CliIo } from './exit-codes';

/** `chain deploy|grant|revoke|status …`: the same as `npm run chain`, same flags. */
export function registerChain(program: Command, io: CliIo): void {
  program
    .command('chain')
    .description('the contract cascade on any EVM endpoint: deploy|grant|revoke|status (same as npm run chain; gridledger chain help)')
    .argument('[args...]', 'deploy|grant|revoke|status and their options')
    .helpOption(false)
    .allowUnknownOption()
    .action(async (args: string[]) => {
      if (args.length === 0 || args[0] === 'help' || args.includes('--help')) {
        io.out(`${USAGE.replace('npm run chain --', 'gridledger chain')}\n`);
        return;
      }
      let command;
      try {
        command = parseChainCommand(args, io.env);
      } catch (error) {
        if (error instanceof UsageError) throw new CliUsageError(`${error.message} (gridledger chain help lists the options)`);
        throw error;
      }
      try {
        const result = await runChainCommand(command, io.env, (line) => io.out(`${line}\n`));
        io.out(`${JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`);
      } catch (error) {
        if (error instanceof UsageError) throw new CliUsageError(error.message);
        throw new CliFailure(refusalOf(error) ?? messageOf(error));
      }
    });
}
