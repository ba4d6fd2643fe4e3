/**
 * Runs `pass` every `intervalMs`, one pass at a time (the next waits for the previous to end),
 * and stops cleanly: `stop()` cancels the timer and waits for a pass in progress. A failing
 * pass is reported and the loop goes on. Workers whose state lives in Postgres use it, so the
 * only thing in process memory is the timer.
 */
export class PollingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private current: Promise<void> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly pass: () => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.running = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.current = this.pass()
        .then(() => undefined)
        .catch(this.onError)
        .finally(() => {
          this.current = undefined;
          this.schedule();
        });
    }, this.intervalMs);
  }
}
