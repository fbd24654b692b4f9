/**
 * format.ts — PyTorch-style text of a tensor (`tensor([[1., 2.], [3., 4.]], dtype=torch.float64)`),
 * following torch/_tensor_str.py: fixed, integral or scientific notation chosen from the shown
 * values, aligned columns, rows wrapped at 80 columns, `...` summaries past 1000 elements.
 */
import type { Tensor } from './tensor';

const SUMMARIZE_OVER = 1000;
const EDGE_ITEMS = 3;
const PRECISION = 4;
const LINE_WIDTH = 80;

type Value = number | bigint | boolean;

/** Formats one value, padded to `width` (the widest shown value). */
interface Formatter {
  width: number;
  format(v: Value): string;
}

/**
 * Python's `'{:.4f}'` / `'{:.4e}'`: like toFixed/toExponential, except that exact ties round
 * half to even (1.03125 → 1.0312) and -0 keeps its sign.
 */
function pyFloat(v: number, digits: number, sci: boolean): string {
  const sign = Object.is(v, -0) ? '-' : '';
  const extra = 25;
  const [mantissa, exponent] = (sci ? v.toExponential(digits + extra) : v.toFixed(digits + extra)).split('e');
  const cut = mantissa.length - extra;
  const tieToEven = /^50*$/.test(mantissa.slice(cut)) && Number(mantissa[cut - 1]) % 2 === 0;
  let out = tieToEven ? mantissa.slice(0, cut) : sci ? v.toExponential(digits).split('e')[0] : v.toFixed(digits);
  if (sci) {
    const e = tieToEven ? exponent : v.toExponential(digits).split('e')[1];
    out += 'e' + e[0] + e.slice(1).padStart(2, '0');
  }
  return sign + out;
}

function special(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  return v > 0 ? 'inf' : '-inf';
}

function floatFormatter(values: number[]): Formatter {
  const nonzero = values.filter((v) => Number.isFinite(v) && v !== 0);
  let text = (v: number): string => (Number.isFinite(v) ? pyFloat(v, 0, false) + '.' : special(v));
  let width = 1;
  if (nonzero.length > 0) {
    const abs = nonzero.map(Math.abs);
    const max = abs.reduce((a, b) => Math.max(a, b));
    const min = abs.reduce((a, b) => Math.min(a, b));
    const integral = nonzero.every((v) => Number.isInteger(v));
    if (max / min > 1000 || max > 1e8 || (!integral && min < 1e-4)) {
      text = (v) => (Number.isFinite(v) ? pyFloat(v, PRECISION, true) : special(v));
    } else if (!integral) {
      text = (v) => (Number.isFinite(v) ? pyFloat(v, PRECISION, false) : special(v));
    }
    width = Math.max(...nonzero.map((v) => text(v).length));
  }
  return { width, format: (v) => text(v as number).padStart(width) };
}

function plainFormatter(values: Value[], text: (v: Value) => string): Formatter {
  const width = Math.max(1, ...values.map((v) => text(v).length));
  return { width, format: (v) => text(v).padStart(width) };
}

/** Indices of the rows shown along a dim of size n (all, or the edges when summarizing). */
function shown(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  return [0, 1, 2, -1, n - 3, n - 2, n - 1];
}

/** PyTorch's `_add_suffixes`: `, suffix` on the last line, or on a new line past 80 columns. */
function addSuffixes(text: string, suffixes: string[], indent: number): string {
  let out = text;
  let lastLineLength = text.length - text.lastIndexOf('\n') + 1;
  for (const suffix of suffixes) {
    if (lastLineLength + suffix.length + 2 > LINE_WIDTH) {
      out += ',\n' + ' '.repeat(indent) + suffix;
      lastLineLength = indent + suffix.length;
    } else {
      out += ', ' + suffix;
      lastLineLength += suffix.length + 2;
    }
  }
  return out + ')';
}

export function formatTensor(t: Tensor): string {
  const shape = t.shape;
  const dtype = t.dtype;
  const numel = t.numel;
  const data = t.dataSync();
  const isBool = dtype === 'bool';
  const isFloat = dtype.startsWith('float') || dtype === 'bfloat16';
  const summarize = numel > SUMMARIZE_OVER;

  const strides: number[] = new Array(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= shape[d];
  }
  const read = (i: number): Value => (isBool ? data[i] !== 0 : data[i]);

  // Collect the shown values first, to pick one format and one width for all of them.
  const visible: Value[] = [];
  const visit = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      visible.push(read(offset));
      return;
    }
    for (const i of shown(shape[dim], summarize)) if (i >= 0) visit(dim + 1, offset + i * strides[dim]);
  };
  if (numel > 0) visit(0, 0);

  const formatter = isFloat
    ? floatFormatter(visible as number[])
    : plainFormatter(visible, isBool ? (v) => (v ? 'True' : 'False') : (v) => String(v));

  const prefix = 'tensor(';
  const render = (dim: number, offset: number, indent: number): string => {
    const rows = shown(shape[dim], summarize);
    if (dim === shape.length - 1) {
      const items = rows.map((i) => (i < 0 ? ' ...' : formatter.format(read(offset + i))));
      const perLine = Math.max(1, Math.floor((LINE_WIDTH - indent) / (formatter.width + 2)));
      const lines: string[] = [];
      for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
      return `[${lines.join(',\n' + ' '.repeat(indent + 1))}]`;
    }
    const parts = rows.map((i) => (i < 0 ? '...' : render(dim + 1, offset + i * strides[dim], indent + 1)));
    const sep = ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + 1);
    return `[${parts.join(sep)}]`;
  };

  let body: string;
  if (numel === 0) body = '[]';
  else if (shape.length === 0) body = formatter.format(read(0));
  else body = render(0, 0, prefix.length);

  const suffixes: string[] = [];
  if (t.device !== 'cpu') suffixes.push(`device='${t.device}'`);
  if (numel === 0 && shape.length !== 1) suffixes.push(`size=(${shape.join(', ')})`);
  const defaultDtype = numel === 0 ? dtype === 'float32' : dtype === 'float32' || dtype === 'int64' || dtype === 'bool';
  if (!defaultDtype) suffixes.push(`dtype=torch.${dtype}`);
  const gradFn = t.gradFn;
  if (gradFn !== null) suffixes.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return addSuffixes(prefix + body, suffixes, prefix.length);
}
