/**
 * progress.ts — the Keras-like progress output of fit: on a TTY (verbose 1) a live line per epoch
 * with a bar, ETA and running metrics; otherwise (or verbose 2) one plain line per epoch.
 * The live bar redraws at most every REDRAW_MS, and fit asks the native loop for batch logs no more
 * often than that (reading running figures waits for the device).
 */
import type { Callback, Logs } from './callbacks';

/** The live bar's redraw interval (ms). */
export const REDRAW_MS = 200;

function fmt(logs: Logs): string {
  return Object.entries(logs)
    .filter(([k]) => k !== 'size')
    .map(([k, v]) => `${k}: ${k === 'lr' ? v.toExponential(2) : v.toFixed(4)}`)
    .join(' - ');
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export class ProgressLogger implements Callback {
  private epochStart = 0;
  private lastDraw = 0;
  private readonly live: boolean;

  constructor(
    private readonly epochs: number,
    private readonly steps: number,
    verbose: 1 | 2,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.live = verbose === 1 && Boolean(out.isTTY);
  }

  /** Only the live bar needs per-batch logs. */
  get wantsBatches(): boolean {
    return this.live;
  }

  onEpochBegin(epoch: number): void {
    this.epochStart = Date.now();
    if (!this.live) return;
    this.out.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
  }

  onBatchEnd(batch: number, logs: Logs): void {
    if (!this.live) return;
    const now = Date.now();
    if (now - this.lastDraw < REDRAW_MS && batch + 1 < this.steps) return;
    this.lastDraw = now;
    const done = batch + 1;
    const width = 30;
    const filled = Math.round((done / this.steps) * width);
    const bar = '='.repeat(Math.max(filled - 1, 0)) + (done < this.steps ? '>' : '=') + '.'.repeat(width - filled);
    const eta = ((now - this.epochStart) / done) * (this.steps - done);
    this.out.write(`\r${String(done).padStart(String(this.steps).length)}/${this.steps} [${bar}] - ETA: ${seconds(eta)} - ${fmt(logs)}\x1b[K`);
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const took = seconds(Date.now() - this.epochStart);
    if (this.live) this.out.write(`\r${this.steps}/${this.steps} [${'='.repeat(30)}] - ${took} - ${fmt(logs)}\x1b[K\n`);
    else this.out.write(`Epoch ${epoch + 1}/${this.epochs} - ${took} - ${fmt(logs)}\n`);
  }
}
