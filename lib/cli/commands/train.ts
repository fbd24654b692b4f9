/**
 * train.ts — `nodetorch train cnn|resnet|dcgan --data ... --out runs/<name>`: trains a classifier
 * (the reference CNN or ResNet-20) or the DCGAN on a dataset, with a progress bar and Ctrl-C
 * stopping after the batch, then writes the saved model, history.csv, a confusion matrix or the
 * sample grids, and report.html into --out. `trainClassifier`/`trainGan` are also the demo's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { cnn, dcgan, resnet } from '../../builders';
import { fromTensors, type Dataset } from '../../data/dataset';
import * as T from '../../data/transforms';
import { GanTrainer } from '../../gan/trainer';
import type { Model } from '../../models/model';
import { confusionMatrix, confusionPng } from '../../report/confusion';
import { writeReport, type ReportSection } from '../../report/report';
import { manualSeed } from '../../runtime';
import { tidy } from '../../tensor/memory';
import type { Tensor } from '../../tensor/tensor';
import type { Device } from '../../tensor/device';
import { adam, sgd } from '../../training/optimizers';
import { oneCycle } from '../../training/schedulers';
import { channels, device, nonNegativeInt, positiveInt, positiveNumber } from '../parse';
import { resolveData, type DataChoice } from '../data_arg';
import { interruptSignal, writeHistoryCsv, writePreprocess } from '../run_dir';

export interface TrainFlags {
  data: string;
  epochs: number;
  /** Batches per epoch (default: the whole training set). */
  stepsPerEpoch?: number;
  batchSize?: number;
  lr?: number;
  device: Device;
  out: string;
  seed: number;
  limit?: number;
  imageSize: number;
  channels: 1 | 3;
}

export interface ClassifierResult {
  model: Model;
  accuracy: number | undefined;
  sections: ReportSection[];
  /** Standardizes images in [-1, 1] (a generator's) for this classifier. */
  mean: number;
  std: number;
}

/** The classifier's view of raw uint8 samples: floats in [0, 1], standardized. */
function standardized(ds: Dataset, d: DataChoice): Dataset {
  return ds.map(T.toFloat({ scale: 1 / 255 }), T.normalize({ mean: d.mean, std: d.std }));
}

/** A subset of the first `limit` samples (for quick runs), as a new dataset. */
async function limited(ds: Dataset, limit: number | undefined): Promise<Dataset> {
  if (limit === undefined || limit >= ds.length) return ds;
  const { value } = await ds.batches({ batchSize: limit, shuffle: false }).next();
  const out = fromTensors(value!.x, value!.y, { classNames: ds.classNames, seed: ds.seed });
  value!.x.dispose();
  value!.y?.dispose();
  return out;
}

function epochsOf(history: Record<string, number[]>, keys: string[]): { name: string; values: number[] }[] {
  return keys.filter((k) => history[k] !== undefined).map((k) => ({ name: k, values: history[k] }));
}

/** Trains the CNN or ResNet-20 classifier and writes its run directory. */
export async function trainClassifier(kind: 'cnn' | 'resnet', flags: TrainFlags, d: DataChoice): Promise<ClassifierResult> {
  manualSeed(flags.seed);
  const train = standardized(await limited(d.train, flags.limit), d);
  const test = d.test === undefined ? undefined : standardized(await limited(d.test, flags.limit === undefined ? undefined : Math.ceil(flags.limit / 6)), d);
  const numClasses = d.classNames.length;
  const model = (kind === 'cnn' ? cnn({ inputShape: d.shape, numClasses }) : resnet({ depth: 20, inputShape: d.shape, numClasses })).to(flags.device);
  const batchSize = flags.batchSize ?? (kind === 'cnn' ? 32 : 128);
  const lr = flags.lr ?? (kind === 'cnn' ? 1e-3 : 0.1);
  model.compile(
    kind === 'cnn'
      ? { optimizer: adam({ lr }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] }
      : { optimizer: sgd({ lr, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'], lrScheduler: oneCycle({ maxLr: lr }) },
  );
  const { signal, dispose } = interruptSignal();
  const started = Date.now();
  let history;
  try {
    history = await model.fit(train, { epochs: flags.epochs, stepsPerEpoch: flags.stepsPerEpoch, batchSize, validationData: test, signal, verbose: process.stdout.isTTY ? 1 : 2 });
  } finally {
    dispose();
  }
  const seconds = (Date.now() - started) / 1000;
  fs.mkdirSync(flags.out, { recursive: true });
  await model.save(path.join(flags.out, 'model'));
  await writePreprocess(flags.out, { kind: 'classifier', mean: d.mean, std: d.std, shape: d.shape, classNames: d.classNames });
  await writeHistoryCsv(path.join(flags.out, 'history.csv'), history.epoch, history.history);

  const sections: ReportSection[] = [];
  const facts: Record<string, string | number> = { model: kind === 'cnn' ? 'reference CNN' : 'ResNet-20', parameters: model.countParams().toLocaleString('en-US'), 'epochs run': history.epoch.length, 'training time': `${seconds.toFixed(0)} s` };
  let accuracy: number | undefined;
  const images: { title: string; png: Buffer }[] = [];
  let table: ReportSection['table'];
  if (test !== undefined) {
    const logs = await model.evaluate(test, { batchSize: 256 });
    accuracy = logs.accuracy;
    facts['test accuracy'] = `${(accuracy * 100).toFixed(2)} %`;
    const probs = (await model.predict(test, { batchSize: 256 })) as Tensor;
    const predicted = tidy(() => probs.argmax(1).to('int64'));
    const truth: bigint[] = [];
    for await (const b of test.batches({ batchSize: 1024, shuffle: false })) {
      truth.push(...(b.y!.dataSync() as BigInt64Array));
      b.x.dispose();
      b.y?.dispose();
    }
    const counts = confusionMatrix(truth, predicted.dataSync() as BigInt64Array, numClasses);
    probs.dispose();
    predicted.dispose();
    const png = confusionPng(counts);
    fs.writeFileSync(path.join(flags.out, 'confusion_matrix.png'), png);
    images.push({ title: 'Confusion matrix (rows: true class, columns: predicted)', png });
    table = { header: ['true \\ predicted', ...d.classNames], rows: counts.map((row, i) => [d.classNames[i], ...row]) };
  }
  sections.push({
    title: `Classifier (${kind}) on ${d.name}`,
    facts,
    charts: [
      { title: 'Loss', series: epochsOf(history.history, ['loss', 'val_loss']) },
      { title: 'Accuracy', series: epochsOf(history.history, ['accuracy', 'val_accuracy']) },
    ],
    images,
    table,
    text: model.summary(() => undefined),
    textTitle: 'Model summary',
  });
  return { model, accuracy, sections, mean: d.mean, std: d.std };
}

export interface GanResult {
  generator: Model;
  sections: ReportSection[];
}

/** Trains the DCGAN (28, 32 or 64 px data) and writes its run directory with sample grids. */
export async function trainGan(flags: TrainFlags, d: DataChoice): Promise<GanResult> {
  manualSeed(flags.seed);
  const size = d.shape[1];
  if (size !== 28 && size !== 32 && size !== 64) throw new Error(`train dcgan: images must be 28, 32 or 64 px (use --image-size for image folders), got ${size}`);
  const images = (await limited(d.train, flags.limit)).map(T.toFloat({ scale: 2 / 255 }), T.normalize({ mean: 1, std: 1 }));
  const { generator, discriminator } = dcgan({ imageSize: size, channels: d.shape[0], ngf: 32, ndf: 32 });
  generator.to(flags.device);
  discriminator.to(flags.device);
  const lr = flags.lr ?? 2e-4;
  const trainer = new GanTrainer({ generator, discriminator, gOptimizer: adam({ lr, betas: [0.5, 0.999] }), dOptimizer: adam({ lr, betas: [0.5, 0.999] }) });
  const { signal, dispose } = interruptSignal();
  const started = Date.now();
  const samplesDir = path.join(flags.out, 'samples');
  let history;
  try {
    history = await trainer.train(images, { epochs: flags.epochs, stepsPerEpoch: flags.stepsPerEpoch, batchSize: flags.batchSize ?? 64, samplesDir, signal, verbose: process.stdout.isTTY ? 1 : 2 });
  } finally {
    dispose();
    trainer.dispose();
  }
  const seconds = (Date.now() - started) / 1000;
  await generator.save(path.join(flags.out, 'generator'));
  await discriminator.save(path.join(flags.out, 'discriminator'));
  await writePreprocess(flags.out, { kind: 'generator', mean: d.mean, std: d.std, shape: d.shape, classNames: d.classNames });
  await writeHistoryCsv(path.join(flags.out, 'history.csv'), history.epoch, history.history);
  // The last few fixed-noise grids, the final one twice as large.
  const grids = history.samples.slice(-4).map((file, i, shown) => ({ title: path.basename(file, '.png').replace(/_/g, ' '), png: fs.readFileSync(file), scale: i === shown.length - 1 ? 2 : 1 }));
  return {
    generator,
    sections: [
      {
        title: `DCGAN on ${d.name}`,
        facts: { generator: `${generator.countParams().toLocaleString('en-US')} parameters`, discriminator: `${discriminator.countParams().toLocaleString('en-US')} parameters`, 'epochs run': history.epoch.length, 'training time': `${seconds.toFixed(0)} s` },
        charts: [
          { title: 'GAN losses', series: epochsOf(history.history, ['dLoss', 'gLoss']) },
          { title: 'Discriminator outputs', series: epochsOf(history.history, ['dReal', 'dFake']) },
        ],
        images: grids,
        text: generator.summary(() => undefined),
        textTitle: 'Generator summary',
      },
    ],
  };
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a classifier (cnn, resnet) or the DCGAN (dcgan) and write the model, history.csv, pictures and report.html')
    .argument('<model>', 'cnn | resnet | dcgan')
    .option('--data <data>', "'fashion-mnist' or a directory (IDX files, CIFAR-10 binary batches, or one subfolder of images per class)", 'fashion-mnist')
    .option('--epochs <n>', 'epochs', positiveInt, 3)
    .option('--steps-per-epoch <n>', 'batches per epoch (default: the whole training set)', positiveInt)
    .option('--batch-size <n>', 'batch size (default: 32 cnn, 128 resnet, 64 dcgan)', positiveInt)
    .option('--lr <x>', 'learning rate (default: 1e-3 cnn, 0.1 resnet, 2e-4 dcgan)', positiveNumber)
    .option('--device <device>', 'cpu | cuda | cuda:N', device, 'cpu')
    .option('--out <dir>', 'output directory (default runs/<model>)')
    .option('--seed <n>', 'random seed', nonNegativeInt, 0)
    .option('--limit <n>', 'use only the first n training samples (quick runs)', positiveInt)
    .option('--image-size <n>', 'image folders: resize to n×n', positiveInt, 32)
    .option('--channels <n>', 'image folders: 1 or 3', channels, 3)
    .action(async (kind: string, o: Omit<TrainFlags, 'out'> & { out?: string }) => {
      if (kind !== 'cnn' && kind !== 'resnet' && kind !== 'dcgan') throw new Error(`train: unknown model '${kind}' (cnn, resnet, dcgan)`);
      const flags: TrainFlags = { ...o, out: o.out ?? path.join('runs', kind) };
      manualSeed(flags.seed); // the datasets draw their shuffling seeds from it
      const d = await resolveData(flags.data, flags.imageSize, flags.channels);
      const started = Date.now();
      const sections = kind === 'dcgan' ? (await trainGan(flags, d)).sections : (await trainClassifier(kind, flags, d)).sections;
      const report = path.join(flags.out, 'report.html');
      await writeReport(report, { title: `nodetorch train ${kind}`, config: { model: kind, ...flags, totalSeconds: Math.round((Date.now() - started) / 1000) }, sections });
      console.log(`wrote ${flags.out}/ (model, history.csv, report.html); open ${report}`);
    });
}

