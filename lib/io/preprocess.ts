/**
 * preprocess.ts — preprocess.json, written next to a model by `nodetorch train`: the input
 * normalization, the sample shape and the class names that `evaluate`, `predict` and `serve` apply.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What preprocess.json holds. */
export interface Preprocess {
  kind: 'classifier' | 'generator';
  mean: number;
  std: number;
  shape: number[];
  classNames: string[];
}

/** Reads `<dir>/preprocess.json`. */
export function readPreprocess(dir: string): Preprocess {
  const file = path.join(dir, 'preprocess.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Preprocess;
  } catch (err) {
    throw new Error(`cannot read ${file} (a directory written by 'nodetorch train'): ${(err as Error).message}`);
  }
}
