/**
 * run_dir.ts — what every CLI run writes and reads in its --out directory: history.csv, the
 * preprocessing the model expects (preprocess.json: normalization, class names, input shape),
 * and Ctrl-C handling that stops training after the current batch.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../io/atomic_file';
import type { Preprocess } from '../io/preprocess';

export { readPreprocess, type Preprocess } from '../io/preprocess';

export async function writeHistoryCsv(file: string, epochs: number[], history: Record<string, number[]>): Promise<void> {
  const keys = Object.keys(history);
  const rows = epochs.map((e, i) => [String(e + 1), ...keys.map((k) => String(history[k][i]))].join(','));
  await writeFileAtomic('train', file, ['epoch', ...keys].join(',') + '\n' + rows.join('\n') + '\n');
}

export async function writePreprocess(dir: string, p: Preprocess): Promise<void> {
  await writeFileAtomic('train', path.join(dir, 'preprocess.json'), JSON.stringify(p, null, 2) + '\n');
}

/** An AbortSignal that Ctrl-C (SIGINT) aborts once; a second Ctrl-C exits at once. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onInt = (): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after the current batch (Ctrl-C again to quit now)...\n');
    controller.abort();
  };
  process.on('SIGINT', onInt);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onInt) };
}
