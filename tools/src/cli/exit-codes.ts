/** The tool's exit codes: every command keeps to them, so scripts can rely on them. */
export const EXIT_OK = 0;
/** Refused or failed: the reason is printed, naming what to fix. */
export const EXIT_FAILED = 1;
/** The command line itself is wrong: unknown command or option, missing argument. */
export const EXIT_USAGE = 2;

/** A failure the user can act on: the message names what to fix; exits 1. */
export class CliFailure extends Error {
  constructor(
    message: string,
    /** Machine-readable detail (e.g. a service's problem details), printed as JSON with --json. */
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** A wrong command line found after parsing (e.g. two flags that exclude each other); exits 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** Where a command writes: the process's streams, or a capture in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal (progress redraws in place only there). */
  readonly errIsTTY: boolean;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    errIsTTY: Boolean(process.stderr.isTTY),
  };
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
