/**
 * A progress bar on stderr: redrawn in place on a terminal, a line per 10 % otherwise (logs
 * stay short), nothing at all when quiet. stdout stays free for the result (e.g. --json).
 */
export class ProgressBar {
  private lastTenth = -1;
  private lastDrawMs = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly isTTY: boolean,
    private readonly label: string,
    private readonly total: number,
    private readonly unit: (amount: number) => string = String,
  ) {}

  update(done: number): void {
    const fraction = this.total === 0 ? 1 : Math.min(1, done / this.total);
    if (this.isTTY) {
      const now = Date.now();
      if (now - this.lastDrawMs < 100 && fraction < 1) return;
      this.lastDrawMs = now;
      const width = 30;
      const filled = Math.round(fraction * width);
      this.write(`\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${this.unit(done)}/${this.unit(this.total)}`);
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth === this.lastTenth) return;
    this.lastTenth = tenth;
    this.write(`${this.label} ${tenth * 10}% (${this.unit(done)}/${this.unit(this.total)})\n`);
  }

  finish(note = 'done'): void {
    this.update(this.total);
    this.write(this.isTTY ? ` ${note}\n` : `${this.label}: ${note}\n`);
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
