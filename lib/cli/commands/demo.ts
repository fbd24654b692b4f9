/**
 * demo.ts — `nodetorch demo` (what `npm run demo` runs): on the real Fashion-MNIST, on CPU, in a
 * few minutes — trains the reference CNN classifier (3 short epochs of 400 batches) and the 28×28
 * DCGAN (6 short epochs of 200 iterations), scores 1,000 generated images with the classifier
 * (confidence and classes covered, against its confidence on real test images), and writes
 * everything to runs/demo/report.html.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import * as T from '../../data/transforms';
import { sample } from '../../gan/trainer';
import type { Model } from '../../models/model';
import { writeReport } from '../../report/report';
import { manualSeed } from '../../runtime';
import { tidy } from '../../tensor/memory';
import type { Tensor } from '../../tensor/tensor';
import { nonNegativeInt, positiveInt } from '../parse';
import { resolveData, type DataChoice } from '../data_arg';
import { trainClassifier, trainGan, type TrainFlags } from './train';

interface DemoFlags {
  out: string;
  classifierEpochs: number;
  classifierSteps: number;
  ganEpochs: number;
  ganSteps: number;
  limit?: number;
  score: number;
  seed: number;
}

/** The classifier's mean max-softmax over standardized images, and how many it assigns to each class. */
async function score(model: Model, standardized: Tensor, classes: number): Promise<{ confidence: number; counts: number[] }> {
  const probs = (await model.predict(standardized, { batchSize: 256 })) as Tensor;
  const { values, indices } = probs.max(1);
  const counts = new Array<number>(classes).fill(0);
  for (const c of indices.dataSync() as BigInt64Array) counts[Number(c)]++;
  const confidence = values.mean().item() as number;
  for (const t of [probs, values, indices]) t.dispose();
  return { confidence, counts };
}

/** The same score on the first `n` real test images: the yardstick for generated ones. */
async function scoreReal(model: Model, d: DataChoice, n: number): Promise<number> {
  const test = (d.test ?? d.train).map(T.toFloat({ scale: 1 / 255 }), T.normalize({ mean: d.mean, std: d.std }));
  for await (const { x, y } of test.batches({ batchSize: n, shuffle: false })) {
    const { confidence } = await score(model, x, d.classNames.length);
    x.dispose();
    y?.dispose();
    return confidence;
  }
  throw new Error('demo: the test split is empty');
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('train a classifier and the DCGAN on Fashion-MNIST (CPU, a few minutes) and write runs/demo/report.html')
    .option('--out <dir>', 'output directory', path.join('runs', 'demo'))
    .option('--classifier-epochs <n>', 'classifier epochs', positiveInt, 3)
    .option('--classifier-steps <n>', 'batches of 32 per classifier epoch', positiveInt, 400)
    .option('--gan-epochs <n>', 'DCGAN epochs', positiveInt, 6)
    .option('--gan-steps <n>', 'iterations (batches of 64) per DCGAN epoch', positiveInt, 200)
    .option('--limit <n>', 'use only the first n training images (quick runs)', positiveInt)
    .option('--score <n>', 'generated (and real) images to score', positiveInt, 1000)
    .option('--seed <n>', 'random seed', nonNegativeInt, 0)
    .action(async (o: DemoFlags) => {
      const started = Date.now();
      manualSeed(o.seed); // the datasets draw their shuffling seeds from it
      const d = await resolveData('fashion-mnist', 28, 1);
      const base: Omit<TrainFlags, 'epochs' | 'out'> = { data: 'fashion-mnist', device: 'cpu', seed: o.seed, limit: o.limit, imageSize: 28, channels: 1 };
      console.log('1/3 training the classifier (reference CNN) ...');
      const classifier = await trainClassifier('cnn', { ...base, epochs: o.classifierEpochs, stepsPerEpoch: o.classifierSteps, out: path.join(o.out, 'classifier') }, d);
      console.log('2/3 training the DCGAN ...');
      const gan = await trainGan({ ...base, epochs: o.ganEpochs, stepsPerEpoch: o.ganSteps, out: path.join(o.out, 'dcgan') }, d);
      console.log(`3/3 scoring ${o.score} generated and ${o.score} real test images with the classifier ...`);
      const images = await sample(gan.generator, o.score, { seed: o.seed + 1 });
      const standardized = tidy(() => images.add(1).div(2).sub(classifier.mean).div(classifier.std));
      const generated = await score(classifier.model, standardized, d.classNames.length);
      images.dispose();
      standardized.dispose();
      const real = await scoreReal(classifier.model, d, o.score);
      const { confidence, counts } = generated;
      const covered = counts.filter((c) => c > 0).length;
      const seconds = Math.round((Date.now() - started) / 1000);
      const report = path.join(o.out, 'report.html');
      await writeReport(report, {
        title: 'nodetorch demo: a Fashion-MNIST classifier and a DCGAN, trained on CPU',
        config: { ...o, totalSeconds: seconds },
        sections: [
          ...classifier.sections,
          ...gan.sections,
          {
            title: 'Generated images, scored by the classifier',
            facts: {
              'images scored': o.score,
              'mean max-softmax (confidence)': confidence.toFixed(3),
              'the same on real test images': real.toFixed(3),
              'classes predicted': `${covered} of ${d.classNames.length}`,
            },
            table: { header: ['class', 'generated images predicted as it'], rows: d.classNames.map((name, i) => [name, counts[i]]) },
          },
        ],
      });
      console.log(`classifier test accuracy ${classifier.accuracy === undefined ? 'n/a' : `${(classifier.accuracy * 100).toFixed(2)}%`}; ` +
        `generated images: mean max-softmax ${confidence.toFixed(3)} (real test images: ${real.toFixed(3)}), ${covered} of ${d.classNames.length} classes; ${seconds} s in all`);
      console.log(`open ${report}`);
    });
}
