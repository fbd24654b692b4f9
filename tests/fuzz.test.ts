/**
 * fuzz.test.ts — seeded random bad calls over the public surface (tests/helpers/fuzz_child.js),
 * 2,000 per run in a child process: no crash, no call that succeeds silently, and every error an
 * Error whose message starts with the function's public name. The seed is printed; replay a
 * failure with FUZZ_SEED=<seed> npx vitest run tests/fuzz.test.ts (or node
 * tests/helpers/fuzz_child.js <seed> 2000 after npm run build:ts).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const CHILD = path.join(__dirname, 'helpers', 'fuzz_child.js');
const CALLS = 2000;

it(`${CALLS} seeded bad calls: 0 crashes, 0 silent successes, every error names its function`, () => {
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`fuzz seed ${seed} (replay: FUZZ_SEED=${seed} npx vitest run tests/fuzz.test.ts)`);
  const child = spawnSync(process.execPath, [CHILD, String(seed), String(CALLS)], { encoding: 'utf8', timeout: 240_000 });
  expect(child.error, 'the fuzzer did not finish in 240 s').toBeUndefined();
  expect(child.signal, `the fuzzer crashed: ${child.stderr}`).toBeNull();
  expect(child.status, child.stderr).toBe(0);
  const report = JSON.parse(child.stdout.trim().split('\n').pop() as string) as {
    counts: Record<string, number>;
    failures: { i: number; kind: string; what: string; problem: string }[];
  };
  console.log(`fuzz calls by kind: ${JSON.stringify(report.counts)}`);
  expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBe(CALLS);
  expect(report.failures, `seed ${seed}`).toEqual([]);
}, 300_000);
