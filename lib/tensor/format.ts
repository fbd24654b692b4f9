/**
 * format.ts — PyTorch-style text of a tensor (`tensor([[1., 2.], [3., 4.]], dtype=torch.float64)`):
 * fixed or scientific notation chosen like PyTorch, aligned columns, `...` summaries past 1000
 * elements.
 */
import type { Tensor } from './tensor';

const SUMMARIZE_OVER = 1000;
const EDGE_ITEMS = 3;
const PRECISION = 4;

type Formatter = (v: number | boolean) => string;

function floatFormatter(values: number[]): Formatter {
  const finite = values.filter((v) => Number.isFinite(v));
  const nonzero = finite.map(Math.abs).filter((v) => v !== 0);
  if (finite.every((v) => Number.isInteger(v))) {
    const big = nonzero.length > 0 && Math.max(...nonzero) > 1e8;
    return big ? (v) => (v as number).toExponential(PRECISION) : (v) => (Number.isFinite(v as number) ? `${v}.` : fmtSpecial(v as number));
  }
  if (nonzero.length > 0) {
    const maxAbs = Math.max(...nonzero);
    const minAbs = Math.min(...nonzero);
    if (maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4) {
      return (v) => (Number.isFinite(v as number) ? expo(v as number) : fmtSpecial(v as number));
    }
  }
  return (v) => (Number.isFinite(v as number) ? (v as number).toFixed(PRECISION) : fmtSpecial(v as number));
}

function expo(v: number): string {
  // PyTorch prints two exponent digits: 1.0000e-05
  return v.toExponential(PRECISION).replace(/e([+-])(\d)$/, 'e$10$2');
}

function fmtSpecial(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  return v > 0 ? 'inf' : '-inf';
}

/** Indices of the rows shown along a dim of size n (all, or the edges when summarizing). */
function shown(n: number, summarize: boolean): number[] {
  if (!summarize || n <= 2 * EDGE_ITEMS) return Array.from({ length: n }, (_, i) => i);
  return [0, 1, 2, -1, n - 3, n - 2, n - 1];
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
  const read = (i: number): number | boolean => {
    const v = data[i];
    if (typeof v === 'bigint') return Number(v);
    return isBool ? v !== 0 : v;
  };

  // Collect the shown values first, to pick one format and one width for all of them.
  const visible: number[] = [];
  const visit = (dim: number, offset: number): void => {
    if (dim === shape.length) {
      visible.push(Number(read(offset)));
      return;
    }
    for (const i of shown(shape[dim], summarize)) if (i >= 0) visit(dim + 1, offset + i * strides[dim]);
  };
  if (numel > 0) visit(0, 0);

  const format: Formatter = isBool ? (v) => (v ? 'True' : 'False') : isFloat ? floatFormatter(visible) : (v) => String(v);
  const width = Math.max(0, ...visible.map((v) => format(isBool ? v !== 0 : v).length));
  const cell = (v: number | boolean): string => format(v).padStart(width);

  const prefix = 'tensor(';
  const render = (dim: number, offset: number, indent: number): string => {
    if (dim === shape.length) return cell(read(offset));
    const parts: string[] = [];
    for (const i of shown(shape[dim], summarize)) {
      parts.push(i < 0 ? '...' : render(dim + 1, offset + i * strides[dim], indent + 1));
    }
    if (dim === shape.length - 1) return `[${parts.join(', ')}]`;
    const sep = ',' + '\n'.repeat(shape.length - dim - 1) + ' '.repeat(indent + 1);
    return `[${parts.join(sep)}]`;
  };

  let body: string;
  if (numel === 0) body = '[]';
  else if (shape.length === 0) body = format(read(0));
  else body = render(0, 0, prefix.length);

  const extras: string[] = [];
  if (numel === 0 && shape.length !== 1) extras.push(`size=(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`);
  if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') extras.push(`dtype=torch.${dtype}`);
  if (t.device !== 'cpu') extras.push(`device='${t.device}'`);
  const gradFn = t.gradFn;
  if (gradFn !== null) extras.push(`grad_fn=<${gradFn}>`);
  else if (t.requiresGrad) extras.push('requires_grad=True');
  return `${prefix}${body}${extras.map((e) => ', ' + e).join('')})`;
}
