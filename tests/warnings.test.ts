/**
 * warnings.test.ts — libtorch warnings (TORCH_WARN) reach process.emitWarning as 'TorchWarning'
 * instead of stderr: from the main thread, from async work on libuv threads and from a
 * worker_thread (to that thread's own process object), once per libtorch source line and message.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON } from './helpers/torch';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodetorch-warnings-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const MASKED_SELECT = /^masked_select received a mask with dtype torch\.uint8, this behavior is now deprecated,please use a mask with dtype torch\.bool instead\. \(Triggered internally at .*TensorAdvancedIndexing\.cpp:\d+\.\)$/;
const MASKED_FILL = /^masked_fill_ received a mask with dtype torch\.uint8/;
const CREATE_GRAPH = /^Using backward\(\) with create_graph=True will create a reference cycle/;

describe('libtorch warnings', () => {
  it('become TorchWarnings on the thread that asked for the work, once each, with nothing on stderr', () => {
    const fixture = path.join(dir, 'masked_select.pt');
    const script = path.join(dir, 'masked_select.py'); // TorchScript compiles from source files
    fs.writeFileSync(
      script,
      [
        'import sys, torch',
        'class M(torch.nn.Module):',
        '    def forward(self, x):',
        '        return torch.masked_select(x, (x > 0).to(torch.uint8))',
        'torch.jit.script(M()).save(sys.argv[1])',
      ].join('\n'),
    );
    execFileSync(PYTHON, [script, fixture]);
    const child = spawnSync(process.execPath, ['--no-warnings', path.join(__dirname, 'helpers', 'warnings_child.js'), fixture], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const { main, workerThread } = JSON.parse(child.stdout) as { main: string[]; workerThread: string[] };
    expect(main).toHaveLength(3);
    expect(main[0]).toMatch(MASKED_SELECT);
    expect(main[1]).toMatch(MASKED_FILL);
    expect(main[2]).toMatch(CREATE_GRAPH);
    expect(workerThread).toHaveLength(1);
    expect(workerThread[0]).toMatch(MASKED_FILL);
  });

  it('are printed by Node as TorchWarning when nobody listens', () => {
    const child = spawnSync(
      process.execPath,
      ['-e', "const nt = require('./dist'); const x = nt.tensor([1, 2]); nt.maskedSelect(x, x.gt(1).to('uint8'));"],
      { encoding: 'utf8', cwd: path.join(__dirname, '..') },
    );
    expect(child.status).toBe(0);
    expect(child.stderr).toMatch(/^\(node:\d+\) TorchWarning: masked_select received a mask with dtype torch\.uint8/);
    expect(child.stderr).not.toMatch(/Logging before InitGoogleLogging|\] Warning: /);
  });
});
