// examples.test.ts — runs every script in examples/ in a short mode (few images, one epoch) so
// none of them rots; the full-length runs are the examples themselves (see README).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.join(__dirname, '..');

function run(script: string, args: string[]): string {
  return execFileSync(process.execPath, [path.join(root, 'examples', script), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
}

describe('examples', () => {
  it('fashion_mnist_mlp.js trains an MLP and reports test accuracy', () => {
    const out = run('fashion_mnist_mlp.js', ['--epochs', '1', '--limit', '6000']);
    const match = /epoch 1\/1 {2}loss ([\d.]+) {2}test accuracy ([\d.]+)%/.exec(out);
    expect(match, out).not.toBeNull();
    expect(Number(match![2])).toBeGreaterThan(70);
  });

  it('fashion_mnist_cnn.js trains the CNN with fit and reports test accuracy', () => {
    const out = run('fashion_mnist_cnn.js', ['--epochs', '1', '--limit', '6000', '--threads', '1']);
    expect(out).toMatch(/Total params: 421,834/);
    const match = /test accuracy ([\d.]+)% after 1 epochs/.exec(out);
    expect(match, out).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(70);
  });

  it('distributed_fashion_mnist.js trains the CNN on 2 ranks under nodetorch launch; rank 0 reports', () => {
    const out = execFileSync(
      process.execPath,
      [path.join(root, 'dist', 'cli', 'main.js'), 'launch', '--nproc-per-node', '2', path.join(root, 'examples', 'distributed_fashion_mnist.js'), '--epochs', '1', '--limit', '4000', '--test-limit', '1000'],
      { cwd: root, encoding: 'utf8', timeout: 180_000 },
    );
    const match = /^\[0\] 2 ranks × batch 64: test accuracy ([\d.]+)% after 1 epochs/m.exec(out);
    expect(match, out).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(60);
    expect(out).not.toMatch(/^\[1\] .*test accuracy/m);
  });

  it('fashion_mnist_resnet.js trains ResNet-20 with a one-cycle schedule and reports test accuracy', () => {
    const out = run('fashion_mnist_resnet.js', ['--epochs', '1', '--limit', '2000', '--test-limit', '1000', '--batch-size', '32', '--threads', '1']);
    expect(out).toMatch(/ResNet-20: 269,434 parameters/);
    const match = /test accuracy ([\d.]+)% after 1 epochs/.exec(out);
    expect(match, out).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(40);
  });

  it('fashion_mnist_dcgan.js trains the DCGAN, writes sample grids and scores generated images with a trained classifier', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-dcgan-example-'));
    try {
      const log = run('fashion_mnist_dcgan.js', ['--epochs', '1', '--limit', '256', '--classifier-epochs', '1', '--classifier-limit', '1000', '--score', '100', '--out', out, '--threads', '1']);
      expect(log).toMatch(/DCGAN 28×28: generator 759,680 and discriminator 138,624 parameters/);
      expect(log).toMatch(/on 100 real test images: mean max-softmax 0\.\d{3}/);
      const match = /generated images: mean max-softmax ([\d.]+), (\d+) of 10 classes predicted/.exec(log);
      expect(match, log).not.toBeNull();
      expect(Number(match![1])).toBeGreaterThan(0.1);
      expect(fs.existsSync(path.join(out, 'samples', 'samples_epoch_001.png'))).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(out, 'score.json'), 'utf8')).counts).toHaveLength(10);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
