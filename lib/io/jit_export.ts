/**
 * jit_export.ts — TorchScript source for a model's native graph (exportTorchScript).
 *
 * Each native module becomes a TorchScript submodule under the model's name for it ("0", "1", ...
 * for Sequential models, layer names for functional ones) holding that module's parameters and
 * buffers, with a `forward` that calls the same aten op libtorch's module runs (torch.conv2d,
 * torch.batch_norm, ...) with the spec's constants; the top-level forward runs the graph's calls. binding/jit_export.cc compiles the sources and saves the
 * module (in eval mode) for Python's `torch.jit.load`.
 */
import { native, type ModelHandle } from '../binding';
import { invalidType } from '../errors';
import type { ModuleSpec } from '../layers/layer';
import type { NativeGraph, NativeNode } from '../models/graph_plan';
import { removeStaleTemps } from './atomic_file';
import { settle } from './call_site';

/** One submodule: its class name (PyTorch's, where one exists) and its TorchScript source. */
export interface SubmoduleSource {
  className: string;
  source: string;
}

const ints = (v: unknown): string => `[${(v as number[]).join(', ')}]`;
const bool = (v: unknown): string => (v ? 'True' : 'False');

/** A Python float literal that round-trips the JS number. */
function float(v: unknown): string {
  const n = v as number;
  if (!Number.isFinite(n)) throw new RangeError(`exportTorchScript: cannot write the constant ${n}`);
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

const forward = (...body: string[]): string => `def forward(self, x):\n${body.map((l) => `    ${l}`).join('\n')}\n`;
const returns = (expr: string): string => forward(`return ${expr}`);
const bias = (s: ModuleSpec): string => (s.bias === false ? 'None' : 'self.bias');
const affine = (s: ModuleSpec, name: string): string => (s.affine === false ? 'None' : `self.${name}`);

/**
 * Conv padding as ints; 'same' (stride 1) as its per-side amounts where they are symmetric, since
 * libtorch 1.13's freezing passes (optimizeForInference) take int lists only.
 */
function convPadding(s: ModuleSpec): string {
  if (typeof s.padding !== 'string') return ints(s.padding);
  const totals = (s.kernel as number[]).map((k, i) => (s.dilation as number[])[i] * (k - 1));
  return totals.every((t) => t % 2 === 0) ? ints(totals.map((t) => t / 2)) : `"${s.padding}"`;
}

function batchNorm(s: ModuleSpec): string {
  return forward(
    'if self.training:',
    '    self.num_batches_tracked.add_(1)',
    `return torch.batch_norm(x, ${affine(s, 'weight')}, ${affine(s, 'bias')}, self.running_mean, self.running_var, self.training, ` +
      `${float(s.momentum ?? 0.1)}, ${float(s.eps ?? 1e-5)}, True)`,
  );
}

function upsample(s: ModuleSpec): string {
  const scales = `[${(s.scaleFactor as number[]).map(float).join(', ')}]`;
  if (s.mode === 'bilinear') return returns(`torch.upsample_bilinear2d(x, None, ${bool(s.alignCorners)}, ${scales})`);
  return returns(`torch.upsample_nearest2d(x, None, ${scales})`);
}

function zeroPad(s: ModuleSpec): string {
  return returns(`torch.constant_pad_nd(x, ${ints(s.padding)}, 0.0)`);
}

/** Class name and source of each kind module_graph.cc builds. */
const GENERATORS: Record<string, [string, (s: ModuleSpec) => string]> = {
  linear: ['Linear', (s) => returns(`torch.linear(x, self.weight, ${bias(s)})`)],
  conv1d: ['Conv1d', (s) => returns(`torch.conv1d(x, self.weight, ${bias(s)}, ${ints(s.stride)}, ${convPadding(s)}, ${ints(s.dilation)}, ${s.groups ?? 1})`)],
  conv2d: ['Conv2d', (s) => returns(`torch.conv2d(x, self.weight, ${bias(s)}, ${ints(s.stride)}, ${convPadding(s)}, ${ints(s.dilation)}, ${s.groups ?? 1})`)],
  convTranspose2d: [
    'ConvTranspose2d',
    (s) =>
      returns(
        `torch.conv_transpose2d(x, self.weight, ${bias(s)}, ${ints(s.stride)}, ${ints(s.padding)}, ${ints(s.outputPadding)}, ${s.groups ?? 1}, ${ints(s.dilation)})`,
      ),
  ],
  maxPool2d: ['MaxPool2d', (s) => returns(`torch.max_pool2d(x, ${ints(s.kernel)}, ${ints(s.stride)}, ${ints(s.padding)}, ${ints(s.dilation)}, ${bool(s.ceilMode)})`)],
  avgPool2d: [
    'AvgPool2d',
    (s) => returns(`torch.avg_pool2d(x, ${ints(s.kernel)}, ${ints(s.stride)}, ${ints(s.padding)}, ${bool(s.ceilMode)}, ${bool(s.countIncludePad ?? true)}, None)`),
  ],
  adaptiveAvgPool2d: ['AdaptiveAvgPool2d', (s) => returns(`torch.adaptive_avg_pool2d(x, ${ints(s.size)})`)],
  adaptiveMaxPool2d: ['AdaptiveMaxPool2d', (s) => returns(`torch.adaptive_max_pool2d(x, ${ints(s.size)})[0]`)],
  batchNorm1d: ['BatchNorm1d', batchNorm],
  batchNorm2d: ['BatchNorm2d', batchNorm],
  layerNorm: [
    'LayerNorm',
    (s) => returns(`torch.layer_norm(x, ${ints(s.normalizedShape)}, ${affine(s, 'weight')}, ${affine(s, 'bias')}, ${float(s.eps ?? 1e-5)}, True)`),
  ],
  embedding: ['Embedding', () => returns('torch.embedding(self.weight, x, -1, False, False)')],
  dropout: ['Dropout', (s) => returns(`torch.dropout(x, ${float(s.p)}, self.training)`)],
  dropout2d: ['Dropout2d', (s) => returns(`torch.feature_dropout(x, ${float(s.p)}, self.training)`)],
  flatten: ['Flatten', (s) => returns(`torch.flatten(x, ${s.startDim ?? 1}, ${s.endDim ?? -1})`)],
  reshape: ['Reshape', (s) => returns(`torch.reshape(x, [x.size(0)${(s.shape as number[]).map((d) => `, ${d}`).join('')}])`)],
  permute: ['Permute', (s) => returns(`x.permute(${ints(s.dims)})`)],
  upsample: ['Upsample', upsample],
  zeroPad1d: ['ZeroPad1d', zeroPad],
  zeroPad2d: ['ZeroPad2d', zeroPad],
  shortcutPad2d: [
    'ShortcutPad2d',
    (s) => returns(`torch.constant_pad_nd(x[:, :, ::${s.stride}, ::${s.stride}], [0, 0, 0, 0, ${s.padBefore}, ${s.padAfter}], 0.0)`),
  ],
  relu: ['ReLU', () => returns('torch.relu(x)')],
  leakyRelu: ['LeakyReLU', (s) => returns(`torch.leaky_relu(x, ${float(s.negativeSlope ?? 0.01)})`)],
  elu: ['ELU', (s) => returns(`torch.elu(x, ${float(s.alpha ?? 1)}, 1.0, 1.0)`)],
  gelu: ['GELU', (s) => returns(`torch.gelu(x, approximate="${s.approximate ?? 'none'}")`)],
  sigmoid: ['Sigmoid', () => returns('torch.sigmoid(x)')],
  tanh: ['Tanh', () => returns('torch.tanh(x)')],
  softmax: ['Softmax', (s) => returns(`torch.softmax(x, ${s.dim ?? 1})`)],
  logSoftmax: ['LogSoftmax', (s) => returns(`torch.log_softmax(x, ${s.dim ?? 1})`)],
};

/** The TorchScript submodules for a model's native module specs, in graph order (errors name `op`). */
export function submoduleSources(specs: readonly ModuleSpec[], op = 'exportTorchScript'): SubmoduleSource[] {
  return specs.map((spec, i) => {
    const generator = GENERATORS[spec.kind];
    if (generator === undefined) throw new Error(`${op}: module ${i} (${spec.kind}) has no TorchScript form`);
    return { className: generator[0], source: generator[1](spec) };
  });
}

/** A TorchScript expression for the submodule registered under a (dotted) name. */
function submodule(name: string): string {
  return name.split('.').reduce((expr, part) => `getattr(${expr}, "${part}")`, 'self');
}

function mergeExpr(node: Extract<NativeNode, { merge: string }>, v: (i: number) => string): string {
  const args = node.inputs.map(v);
  switch (node.merge) {
    case 'concatenate':
      return `torch.cat([${args.join(', ')}], ${node.axis ?? 1})`;
    case 'subtract':
      return `${args[0]} - ${args[1]}`;
    case 'add':
      return args.join(' + ');
    case 'average':
      return `(${args.join(' + ')}) / ${float(args.length)}`;
    case 'multiply':
      return args.join(' * ');
    case 'maximum':
    case 'minimum':
      return args.slice(1).reduce((acc, a) => `torch.${node.merge}(${acc}, ${a})`, args[0]);
  }
}

/** The top-level forward: the graph's calls in order, on inputs x0, x1, ... */
export function graphForward(graph: NativeGraph): string {
  const v = (i: number): string => (i < graph.numInputs ? `x${i}` : `v${i}`);
  const params = Array.from({ length: graph.numInputs }, (_, i) => `x${i}`).join(', ');
  const body = graph.nodes.map((node, k) => {
    const out = v(graph.numInputs + k);
    if ('module' in node) return `${out} = ${submodule(graph.modules[node.module].name)}.forward(${v(node.inputs[0])})`;
    return `${out} = ${mergeExpr(node, v)}`;
  });
  const outs = graph.outputs.map(v);
  body.push(`return ${outs.length === 1 ? outs[0] : `(${outs.join(', ')})`}`);
  return `def forward(self, ${params}):\n${body.map((l) => `    ${l}`).join('\n')}\n`;
}

/** Compiles and saves a native model as TorchScript at `path` (off the event loop). */
export async function exportGraph(handle: ModelHandle, graph: NativeGraph, path: string): Promise<void> {
  const site = new Error();
  if (typeof path !== 'string' || path.length === 0) throw invalidType('exportTorchScript', 'path', 'a non-empty string', path);
  await settle(native.jitExportModel(handle, submoduleSources(graph.modules.map((m) => m.spec)), graphForward(graph), path), site);
  await removeStaleTemps(path);
}

/** Freezes the native model's TorchScript form for its predictions (binding/frozen_forward.h), off the event loop. */
export async function freezeGraph(handle: ModelHandle, graph: NativeGraph): Promise<void> {
  const site = new Error();
  const op = 'optimizeForInference';
  await settle(native.modelOptimizeForInference(handle, submoduleSources(graph.modules.map((m) => m.spec), op), graphForward(graph)), site);
}
