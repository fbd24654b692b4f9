/**
 * inspect.ts — commands on a trained run directory: `nodetorch summary <dir>`, `nodetorch
 * evaluate <dir> --data ...` (loss/accuracy on the test split), `nodetorch predict <dir> <image...>`
 * (top-k classes with names) and `nodetorch sample <dir> --n 64 --out grid.png` (a generator's
 * images as a PNG grid).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import * as T from '../../data/transforms';
import { loadImage } from '../../data/image_folder';
import { sample } from '../../gan/trainer';
import { loadModel } from '../../io/load_model';
import { imageGridPng } from '../../io/png';
import type { Model } from '../../models/model';
import { tidy } from '../../tensor/memory';
import type { Tensor } from '../../tensor/tensor';
import { nonNegativeInt, positiveInt } from '../parse';
import { resolveData } from '../data_arg';
import { readPreprocess } from '../run_dir';

/** The model saved in a run directory (its model/ or generator/ subfolder, or the directory itself). */
async function loadRunModel(dir: string, sub: 'model' | 'generator'): Promise<Model> {
  const candidates = [path.join(dir, sub), dir];
  const found = candidates.find((c) => fs.existsSync(path.join(c, 'model.json')));
  if (found === undefined) throw new Error(`no model.json in ${candidates.join(' or ')} (a directory written by 'nodetorch train')`);
  return loadModel(found);
}

export function register(program: Command): void {
  program
    .command('summary')
    .description('print the layers, shapes and parameter counts of a saved model')
    .argument('<dir>', 'a run directory or a model directory')
    .action(async (dir: string) => {
      const sub = fs.existsSync(path.join(dir, 'generator', 'model.json')) ? 'generator' : 'model';
      (await loadRunModel(dir, sub)).summary();
    });

  program
    .command('evaluate')
    .description("loss and accuracy of a trained classifier on a dataset's test split")
    .argument('<dir>', 'run directory of `nodetorch train cnn|resnet`')
    .option('--data <data>', "'fashion-mnist' or a directory", 'fashion-mnist')
    .option('--batch-size <n>', 'batch size', positiveInt, 256)
    .action(async (dir: string, o: { data: string; batchSize: number }) => {
      const pre = readPreprocess(dir);
      const model = await loadRunModel(dir, 'model');
      const d = await resolveData(o.data, pre.shape[1], pre.shape[0] as 1 | 3);
      const split = (d.test ?? d.train).map(T.toFloat({ scale: 1 / 255 }), T.normalize({ mean: pre.mean, std: pre.std }));
      const logs = await model.evaluate(split, { batchSize: o.batchSize });
      console.log(Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join('  '));
    });

  program
    .command('predict')
    .description('classify image files with a trained classifier (top-k classes with names)')
    .argument('<dir>', 'run directory of `nodetorch train cnn|resnet`')
    .argument('<images...>', 'PNG/JPEG/WebP files')
    .option('--top <k>', 'classes to show per image', positiveInt, 3)
    .action(async (dir: string, files: string[], o: { top: number }) => {
      const pre = readPreprocess(dir);
      const model = await loadRunModel(dir, 'model');
      for (const file of files) {
        const raw = await loadImage(file, { size: [pre.shape[1], pre.shape[2]], channels: pre.shape[0] as 1 | 3 });
        const x = tidy(() => raw.div(255).sub(pre.mean).div(pre.std));
        const probs = (await model.predict(x)) as Tensor;
        const { values, indices } = probs.squeeze(0).topk(Math.min(o.top, pre.classNames.length));
        const p = values.dataSync() as Float32Array;
        const k = indices.dataSync() as BigInt64Array;
        console.log(`${file}: ${Array.from(k, (c, i) => `${pre.classNames[Number(c)] ?? c} ${(p[i] * 100).toFixed(1)}%`).join(', ')}`);
        for (const t of [raw, x, probs, values, indices]) t.dispose();
      }
    });

  program
    .command('sample')
    .description("images from a trained generator as a PNG grid")
    .argument('<dir>', 'run directory of `nodetorch train dcgan` (or a generator model directory)')
    .option('--n <n>', 'number of images', positiveInt, 64)
    .option('--seed <n>', 'noise seed', nonNegativeInt)
    .option('--out <file>', 'PNG file', 'grid.png')
    .action(async (dir: string, o: { n: number; seed?: number; out: string }) => {
      const generator = await loadRunModel(dir, 'generator');
      const images = await sample(generator, o.n, { seed: o.seed });
      fs.writeFileSync(o.out, imageGridPng(images));
      images.dispose();
      console.log(`wrote ${o.n} samples to ${o.out}`);
    });
}
