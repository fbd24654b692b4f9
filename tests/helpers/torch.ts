/**
 * torch.ts — test helper: runs reference computations in PyTorch-Python (`/usr/bin/python3`, the
 * same libtorch) and compares nodetorch tensors against them.
 *
 * A test file collects its cases, runs them all in one Python process (`torchReference`), then
 * checks each nodetorch result with `expectTensorClose`.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { expect } from 'vitest';
import * as nt from '../../lib';

export const PYTHON = process.env.NODETORCH_PYTHON ?? '/usr/bin/python3';

/**
 * Whether the addon under test runs on libtorch 2.x (npm test's second run) while the Python
 * reference stays Debian's PyTorch 1.13: the few tests where 2.x legitimately differs say so with it.
 */
export const LIBTORCH2 = Number(nt.info().libtorchVersion.split('.')[0]) >= 2;

export interface RefTensor {
  tensor: true;
  shape: number[];
  dtype: nt.Dtype;
  data: (number | boolean | { special: string })[];
}
export type RefValue = RefTensor | number | boolean | RefValue[] | { [k: string]: RefValue };

export interface RefCase {
  /** Input tensors by the name the Python code uses. */
  inputs: Record<string, nt.Tensor>;
  /** Python statements (torch, F in scope) assigning `out`. */
  code: string;
}

export type RefResult = { ok: true; out: RefValue } | { ok: false; error: string };

function encodeInput(t: nt.Tensor): object {
  const flat = nt.tidy(() => t.detach().flatten().arraySync()) as (number | boolean)[];
  const data = flat.map((v) => (typeof v === 'boolean' ? Number(v) : v));
  return { data, shape: t.shape, dtype: t.dtype, requires_grad: t.requiresGrad };
}

/** Runs every case in one PyTorch-Python process; results come back in the same order. */
export function torchReference(cases: RefCase[]): RefResult[] {
  const payload = JSON.stringify(
    cases.map((c) => ({
      code: c.code,
      inputs: Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, encodeInput(t)])),
    })),
  );
  const script = path.join(__dirname, 'torch_ref.py');
  const out = execFileSync(PYTHON, [script], { input: payload, maxBuffer: 1 << 28, encoding: 'utf8' });
  return JSON.parse(out) as RefResult[];
}

/** The value of a successful reference result (fails the test with Python's error otherwise). */
export function refValue(result: RefResult): RefValue {
  if (!result.ok) throw new Error(`PyTorch reference failed: ${result.error}`);
  return result.out;
}

function decode(v: number | boolean | { special: string }): number | boolean {
  if (typeof v === 'object') return v.special === 'nan' ? NaN : v.special === 'inf' ? Infinity : -Infinity;
  return v;
}

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  /** Skip the dtype check (e.g. when comparing a float64 JS result with a float32 reference). */
  ignoreDtype?: boolean;
}

/** Asserts shape, dtype and values (allclose with NaN == NaN) of a tensor against a reference. */
export function expectTensorClose(actual: nt.Tensor, expected: RefValue, options: CloseOptions = {}): void {
  const ref = expected as RefTensor;
  expect(ref.tensor, 'reference is a tensor').toBe(true);
  expect([...actual.shape]).toEqual(ref.shape);
  if (!options.ignoreDtype) expect(actual.dtype).toBe(ref.dtype);
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-6;
  const got = actual.flatten().arraySync() as (number | boolean)[] | number | boolean;
  const values = Array.isArray(got) ? got : [got];
  const want = ref.data.map(decode);
  expect(values.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = values[i];
    const b = want[i];
    if (typeof b === 'boolean' || typeof a === 'boolean') {
      if (a !== b) expect.fail(`element ${i}: got ${a}, expected ${b}`);
      continue;
    }
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    if (a === b) continue;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
      expect.fail(`element ${i} of [${ref.shape.join(', ')}]: got ${a}, expected ${b} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
