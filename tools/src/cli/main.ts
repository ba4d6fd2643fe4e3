import { Command, CommanderError } from 'commander';
import { CliFailure, CliUsageError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, messageOf, processIo, type CliIo } from './exit-codes';
import { registerChain } from './chain.command';
import { registerDeadLetters } from './dead-letters.command';
import { registerImportMscons } from './import-mscons.command';
import { registerOutbox } from './outbox.command';
import { registerStack } from './stack.command';
import { registerVerifyPeriod } from './verify-period.command';

/**
 * `gridledger`: one command line for operators and integrators. Each command lives in its own
 * module and registers itself here; chain and verification commands join the same way.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('gridledger')
    .description('gridledger for operators and integrators: imports, dead letters, outbox replays, the local stack, the chain')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError('(run gridledger --help for the commands and their options)')
    .addHelpText('after', '\nExit codes: 0 ok, 1 refused or failed (the reason names what to fix), 2 usage error.');
  registerImportMscons(program, io);
  registerDeadLetters(program, io);
  registerOutbox(program, io);
  registerStack(program);
  registerChain(program, io);
  registerVerifyPeriod(program, io);
  return program;
}

/** Parses and runs one command line; resolves to the exit code, never exits the process itself. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answers, not errors; commander has already printed its message.
      if (error.exitCode === 0) return EXIT_OK;
      return EXIT_USAGE;
    }
    if (error instanceof CliUsageError) {
      io.err(`error: ${error.message}\n(run gridledger --help for the commands and their options)\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CliFailure) {
      io.err(`error: ${error.message}\n`);
      // The service's own answer (e.g. problem details), whole, for scripts and bug reports.
      if (error.detail !== undefined) io.err(`${JSON.stringify(error.detail)}\n`);
      return EXIT_FAILED;
    }
    io.err(`error: ${messageOf(error)}\n`);
    return EXIT_FAILED;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
