import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly exitCode: number;
  readonly output: string;
  readonly timedOut: boolean;
}

const KEEP_OUTPUT_CHARS = 200_000;

/**
 * Runs a command with its output passed through live and also kept (the tail) for parsing.
 * stdin is closed: CI has none, and nothing here may wait for a keypress.
 */
export function runCommand(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    const keep = (chunk: Buffer, sink: NodeJS.WriteStream): void => {
      sink.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-KEEP_OUTPUT_CHARS);
    };
    child.stdout?.on('data', (chunk: Buffer) => keep(chunk, process.stdout));
    child.stderr?.on('data', (chunk: Buffer) => keep(chunk, process.stderr));
    const timer = setTimeout(() => {
      timedOut = true;
      process.stderr.write(`\n[test] ${command} ${args.join(' ')} exceeded ${Math.round(timeoutMs / 60000)} min: stopping it\n`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, output: `${output}\n${error.message}`, timedOut });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : 1), output, timedOut });
    });
  });
}
