/**
 * docs.test.ts — the API reference (`npm run docs`, typedoc from the TSDoc comments into docs/api)
 * builds without errors, and every type the public API refers to is exported, so the reference
 * has a page for it. Runs typedoc without writing output (about 10 s).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const root = path.join(__dirname, '..');

it('typedoc documents the public API with no error and no unexported type', () => {
  const run = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--emit', 'none', '--logLevel', 'Warn'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const output = run.stdout + run.stderr;
  expect(run.status, output).toBe(0);
  expect(output).not.toMatch(/^\[error\]/m);
  // e.g. "X, defined in lib/…, is referenced by … but not included in the documentation" (X unexported)
  expect(output.split('\n').filter((l) => l.startsWith('[warning]'))).toEqual([]);
});
