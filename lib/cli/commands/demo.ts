/**
 * demo.ts — `nodetorch demo` (what `npm run demo` runs): on the real Fashion-MNIST, on CPU, in a
 * few minutes — trains the reference CNN classifier and the 28×28 DCGAN, scores 1,000 generated
 * images with the classifier (confidence and classes covered), and writes everything to
 * runs/demo/report.html.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { sample } from '../../gan/trainer';
import { writeReport } from '../../report/report';
import { tidy } from '../../tensor/memory';
import type { Tensor } from '../../tensor/tensor';
import { resolveData } from '../data_arg';
import { trainClassifier, trainGan, type TrainFlags } from './train';

interface DemoFlags {
  out: string;
  classifierEpochs: number;
  ganEpochs: number;
  limit?: number;
  score: number;
  seed: number;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('train a classifier and the DCGAN on Fashion-MNIST (CPU, a few minutes) and write runs/demo/report.html')
    .option('--out <dir>', 'output directory', path.join('runs', 'demo'))
    .option('--classifier-epochs <n>', 'classifier epochs', (v) => Number(v), 2)
    .option('--gan-epochs <n>', 'DCGAN epochs', (v) => Number(v), 2)
    .option('--limit <n>', 'use only the first n training images (quick runs)', (v) => Number(v))
    .option('--score <n>', 'generated images to score', (v) => Number(v), 1000)
    .option('--seed <n>', 'random seed', (v) => Number(v), 0)
    .action(async (o: DemoFlags) => {
      const started = Date.now();
      const d = await resolveData('fashion-mnist', 28, 1);
      const base: Omit<TrainFlags, 'epochs' | 'out'> = { data: 'fashion-mnist', device: 'cpu', seed: o.seed, limit: o.limit, imageSize: 28, channels: 1 };
      console.log('1/3 training the classifier (reference CNN) ...');
      const classifier = await trainClassifier('cnn', { ...base, epochs: o.classifierEpochs, out: path.join(o.out, 'classifier') }, d);
      console.log('2/3 training the DCGAN ...');
      const gan = await trainGan({ ...base, epochs: o.ganEpochs, out: path.join(o.out, 'dcgan') }, d);
      console.log(`3/3 scoring ${o.score} generated images with the classifier ...`);
      const images = await sample(gan.generator, o.score, { seed: o.seed + 1 });
      const standardized = tidy(() => images.add(1).div(2).sub(classifier.mean).div(classifier.std));
      const probs = (await classifier.model.predict(standardized, { batchSize: 256 })) as Tensor;
      const { values, indices } = probs.max(1);
      const counts = new Array<number>(d.classNames.length).fill(0);
      for (const c of indices.dataSync() as BigInt64Array) counts[Number(c)]++;
      const confidence = values.mean().item() as number;
      for (const t of [images, standardized, probs, values, indices]) t.dispose();
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
              'classes predicted': `${covered} of ${d.classNames.length}`,
            },
            table: { header: ['class', 'generated images predicted as it'], rows: d.classNames.map((name, i) => [name, counts[i]]) },
          },
        ],
      });
      console.log(`classifier test accuracy ${classifier.accuracy === undefined ? 'n/a' : `${(classifier.accuracy * 100).toFixed(2)}%`}; ` +
        `generated images: mean max-softmax ${confidence.toFixed(3)}, ${covered} of ${d.classNames.length} classes; ${seconds} s in all`);
      console.log(`open ${report}`);
    });
}
