import { ChildProcess, spawn } from 'node:child_process';

// A child process the stack started: its own process group (so a terminal's Ctrl-C reaches
// only us, and we decide the order of shutdown), its output kept for error messages, and a
// stop that signals exactly this PID.

const OUTPUT_TAIL_CHARS = 4000;
const running = new Set<ManagedProcess>();
let exitHookInstalled = false;

/** If the parent dies without calling stop(), still signal what we started, by PID. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.signal('SIGTERM');
  });
}

export class ManagedProcess {
  private tail = '';
  private exitCode: number | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      this.tail = (this.tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : 0);
        running.delete(this);
        resolve();
      });
      child.once('error', (error) => {
        this.tail += `\n${error.message}`;
        this.exitCode = this.exitCode ?? 127;
        running.delete(this);
        resolve();
      });
    });
  }

  static start(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): ManagedProcess {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
    const managed = new ManagedProcess(name, child);
    running.add(managed);
    installExitHook();
    return managed;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.exitCode !== null;
  }

  output(): string {
    return this.tail.trim();
  }

  signal(signal: NodeJS.Signals): void {
    if (this.hasExited || this.pid <= 0) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.hasExited) return;
    this.signal('SIGTERM');
    const timedOut = await Promise.race([this.exited.then(() => false), delay(graceMs).then(() => true)]);
    if (timedOut) {
      this.signal('SIGKILL');
      await this.exited;
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
