/**
 * cli.test.ts — the `nodetorch` command end to end on a tiny MNIST-style dataset the test writes
 * (IDX files), CIFAR-10 binary batches and an image folder, and on a few real Fashion-MNIST
 * images: train cnn/resnet/dcgan (outputs in --out), summary, evaluate, predict on PNG files,
 * sample, Ctrl-C during training, the demo in a short mode, and bad calls. What is in each
 * report.html is checked here; tests/report.test.ts renders reports in headless Chromium.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'cli', 'main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): string {
  return execFileSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: 'utf8', timeout: 120_000 });
}

/** IDX files of 200 train / 40 test 28×28 images: class c has a bright c-th row band (learnable). */
function writeIdxDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, dims: number[], data: Uint8Array): void => {
    const header = Buffer.alloc(4 + 4 * dims.length);
    header.writeUInt32BE(0x800 | dims.length, 0);
    dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    fs.writeFileSync(path.join(dir, name), Buffer.concat([header, Buffer.from(data)]));
  };
  for (const [prefix, n] of [['train', 200], ['t10k', 40]] as const) {
    const images = new Uint8Array(n * 784);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 10;
      for (let r = labels[i] * 2; r < labels[i] * 2 + 4; r++) images.fill(220, i * 784 + r * 28, i * 784 + r * 28 + 28);
    }
    write(`${prefix}-images-idx3-ubyte`, [n, 28, 28], images);
    write(`${prefix}-labels-idx1-ubyte`, [n], labels);
  }
}

describe('nodetorch CLI', () => {
  const data = path.join(tmp, 'tiny');
  beforeAll(() => writeIdxDir(data));

  it('train cnn writes the model, history.csv, a confusion matrix and report.html; summary, evaluate and predict use them', async () => {
    const out = run(['train', 'cnn', '--data', data, '--epochs', '2', '--batch-size', '16', '--out', 'cnn_run']);
    expect(out).toMatch(/wrote cnn_run\//);
    const dir = path.join(tmp, 'cnn_run');
    expect(fs.readdirSync(dir).sort()).toEqual(['confusion_matrix.png', 'history.csv', 'model', 'preprocess.json', 'report.html']);
    const csv = fs.readFileSync(path.join(dir, 'history.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy,lr');
    expect(csv).toHaveLength(3);
    const report = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect([...report.matchAll(/<polyline class="series" data-name="(\w+)"[^>]* points="([^"]*)"/g)].map((m) => [m[1], m[2].split(' ').length]))
      .toEqual([['loss', 2], ['val_loss', 2], ['accuracy', 2], ['val_accuracy', 2]]);
    expect(report).toMatch(/<img alt="Confusion matrix[^"]*" width="241" height="241" src="data:image\/png;base64,/);
    expect(report).toContain('Total params: 421,834');
    expect(run(['summary', 'cnn_run'])).toMatch(/Total params: 421,834/);
    const evaluated = /accuracy: ([\d.]+)/.exec(run(['evaluate', 'cnn_run', '--data', data]));
    expect(Number(evaluated?.[1])).toBeGreaterThan(0.5);

    const band = (c: number): Promise<Buffer> => {
      const pixels = Buffer.alloc(784);
      for (let r = c * 2; r < c * 2 + 4; r++) pixels.fill(220, r * 28, r * 28 + 28);
      return sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    };
    fs.writeFileSync(path.join(tmp, 'three.png'), await band(3));
    const predicted = run(['predict', 'cnn_run', 'three.png', '--top', '2']);
    expect(predicted).toMatch(/^three\.png: 3 [\d.]+%, \d [\d.]+%/);
  });

  it('the same --seed gives the same run (history.csv), another seed a different one', () => {
    const history = (out: string, seed: string): string => {
      run(['train', 'cnn', '--data', data, '--epochs', '2', '--batch-size', '16', '--seed', seed, '--out', out]);
      return fs.readFileSync(path.join(tmp, out, 'history.csv'), 'utf8');
    };
    const first = history('seeded_a', '7');
    expect(history('seeded_b', '7')).toBe(first);
    expect(history('seeded_c', '8')).not.toBe(first);
  });

  it('train resnet on CIFAR-10 binary batches (ResNet-20), and dcgan and cnn on an image folder', async () => {
    const cifar = path.join(tmp, 'cifar');
    fs.mkdirSync(cifar);
    const records = (n: number): Buffer => {
      const bytes = Buffer.alloc(n * 3073);
      for (let i = 0; i < n; i++) {
        bytes[i * 3073] = i % 10;
        bytes.fill(25 * (i % 10), i * 3073 + 1 + (i % 3) * 1024, i * 3073 + 1 + ((i % 3) + 1) * 1024);
      }
      return bytes;
    };
    for (let b = 1; b <= 5; b++) fs.writeFileSync(path.join(cifar, `data_batch_${b}.bin`), records(16));
    fs.writeFileSync(path.join(cifar, 'test_batch.bin'), records(20));
    fs.writeFileSync(path.join(cifar, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
    run(['train', 'resnet', '--data', cifar, '--epochs', '1', '--steps-per-epoch', '2', '--batch-size', '16', '--out', 'resnet_run']);
    expect(fs.readdirSync(path.join(tmp, 'resnet_run')).sort()).toEqual(['confusion_matrix.png', 'history.csv', 'model', 'preprocess.json', 'report.html']);
    expect(run(['summary', 'resnet_run'])).toMatch(/Total params: 269,722/);
    expect(fs.readFileSync(path.join(tmp, 'resnet_run', 'report.html'), 'utf8')).toContain('<th>airplane</th>');

    const folder = path.join(tmp, 'folder');
    for (const [name, value] of [['dark', 40], ['light', 210]] as const) {
      fs.mkdirSync(path.join(folder, name), { recursive: true });
      for (let i = 0; i < 8; i++) {
        const rgb = await sharp({ create: { width: 40, height: 36, channels: 3, background: { r: value, g: value - i, b: value + i } } }).png().toBuffer();
        fs.writeFileSync(path.join(folder, name, `${i}.png`), rgb);
      }
    }
    run(['train', 'dcgan', '--data', folder, '--image-size', '32', '--channels', '3', '--epochs', '1', '--batch-size', '8', '--out', 'folder_gan']);
    const grid = fs.readFileSync(path.join(tmp, 'folder_gan', 'samples', 'samples_epoch_001.png'));
    expect([grid.readUInt32BE(16), grid[25]]).toEqual([8 * 34 + 2, 2]); // 8 x 8 grid of 32 px, colour type 2 (RGB)
    run(['train', 'cnn', '--data', folder, '--image-size', '16', '--channels', '1', '--epochs', '1', '--batch-size', '8', '--out', 'folder_cnn']);
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'folder_cnn', 'preprocess.json'), 'utf8'))).toMatchObject({ shape: [1, 16, 16], classNames: ['dark', 'light'] });
  });

  it('train dcgan writes the generator, sample grids and report.html; sample makes a grid PNG', () => {
    run(['train', 'dcgan', '--data', data, '--epochs', '2', '--batch-size', '32', '--out', 'gan_run']);
    const dir = path.join(tmp, 'gan_run');
    expect(fs.readdirSync(path.join(dir, 'samples'))).toEqual(['samples_epoch_001.png', 'samples_epoch_002.png']);
    expect(fs.existsSync(path.join(dir, 'generator', 'model.json'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'history.csv'), 'utf8')).toMatch(/^epoch,dLoss,gLoss,dReal,dFake\n1,/);
    expect(run(['sample', 'gan_run', '--n', '9', '--seed', '1', '--out', 'grid.png'])).toMatch(/wrote 9 samples to grid\.png/);
    const png = fs.readFileSync(path.join(tmp, 'grid.png'));
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([3 * 30 + 2, 3 * 30 + 2]);
  });

  it('the demo (npm run demo) in a short mode trains both models on Fashion-MNIST and writes runs/demo/report.html', () => {
    const out = run(['demo', '--limit', '512', '--classifier-epochs', '2', '--classifier-steps', '4', '--gan-epochs', '2', '--gan-steps', '3', '--score', '64']);
    expect(out).toMatch(/generated images: mean max-softmax [\d.]+ \(real test images: [\d.]+\), \d+ of 10 classes/);
    expect(out).toMatch(/open runs\/demo\/report\.html/);
    const report = fs.readFileSync(path.join(tmp, 'runs', 'demo', 'report.html'), 'utf8');
    expect(report.match(/<polyline class="series"/g)).toHaveLength(8); // classifier loss/accuracy, GAN losses/D outputs
    expect(report.match(/<img [^>]*src="data:image\/png;base64,/g)).toHaveLength(3); // confusion matrix, 2 sample grids
    expect(report).toContain('Generated images, scored by the classifier');
    expect(fs.readdirSync(path.join(tmp, 'runs', 'demo', 'dcgan', 'samples'))).toEqual(['samples_epoch_001.png', 'samples_epoch_002.png']);
  });

  it('Ctrl-C (SIGINT) stops training after the current batch and still writes every output', async () => {
    const child = spawn(process.execPath, [cli, 'train', 'cnn', '--data', data, '--epochs', '10000', '--batch-size', '16', '--out', 'interrupted'], { cwd: tmp });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/Epoch 2\/10000/.test(stdout) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', resolve);
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/stopping after the current batch/);
    const dir = path.join(tmp, 'interrupted');
    expect(fs.readdirSync(dir).sort()).toEqual(['confusion_matrix.png', 'history.csv', 'model', 'preprocess.json', 'report.html']);
    const epochs = fs.readFileSync(path.join(dir, 'history.csv'), 'utf8').trim().split('\n').length - 1;
    expect(epochs).toBeGreaterThanOrEqual(2);
    expect(epochs).toBeLessThan(10000);
  });

  it('bad calls exit with one clear line', () => {
    const bad = (args: string[]): string => {
      const r = spawnSync(process.execPath, [cli, ...args], { cwd: tmp, encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      return r.stderr;
    };
    expect(bad(['train', 'vgg'])).toMatch(/train: unknown model 'vgg'/);
    expect(bad(['train', 'cnn', '--data', 'no/such/dir'])).toMatch(/--data: 'no\/such\/dir' is neither 'fashion-mnist' nor a directory/);
    expect(bad(['summary', 'nowhere'])).toMatch(/no model\.json in nowhere/);
    expect(bad(['frobnicate'])).toMatch(/unknown command 'frobnicate'/);
    expect(bad(['train', 'cnn', '--epochs', 'abc'])).toMatch(/option '--epochs <n>' argument 'abc' is invalid\. expected a positive integer/);
    expect(bad(['train', 'cnn', '--lr', '-1'])).toMatch(/option '--lr <x>' argument '-1' is invalid\. expected a positive number/);
    expect(bad(['train', 'cnn', '--channels', '2'])).toMatch(/option '--channels <n>' argument '2' is invalid\. expected 1 or 3/);
    expect(bad(['train', 'cnn', '--device', 'gpu'])).toMatch(/option '--device <device>' argument 'gpu' is invalid\. expected cpu, cuda or cuda:N/);
    expect(bad(['train', 'cnn', '--epoch', '3'])).toMatch(/unknown option '--epoch'\s+\(Did you mean --epochs\?\)/);
    expect(bad(['sample', 'cnn_run', '--n', '0'])).toMatch(/option '--n <n>' argument '0' is invalid/);
    expect(bad(['predict', 'cnn_run', 'missing.png'])).toMatch(/missing\.png/);
  });
});
