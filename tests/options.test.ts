/**
 * options.test.ts — strict options: unknown keys are a TypeError naming the function, the key and
 * the closest valid key (PyTorch/Keras-Python spellings first); hyper-parameters out of range, NaN
 * or infinite are a RangeError naming the parameter and the value (torch.optim's rules); layer
 * configs with an unknown key fail in fromConfig the same way.
 */
import { describe, expect, it } from 'vitest';
import * as nt from '../lib';
import { checkOptions, closestKey, defineOptions, rule } from '../lib/options';
import { expectThrows } from './helpers/cases';

const L = nt.layers;

describe('the mechanism', () => {
  const schema = defineOptions<{ units: number; rate?: number; name?: string }>({
    units: rule.int({ min: 1, required: true }),
    rate: rule.number({ min: 0, max: 1, lt: true }),
    name: rule.string(),
  });

  it('accepts valid options and undefined values, and returns them', () => {
    const o = { units: 3, rate: undefined };
    expect(checkOptions('f', schema, o)).toBe(o);
  });

  it('rejects unknown keys, missing required keys, wrong types and bad numbers', () => {
    expectThrows(() => checkOptions('f', schema, { units: 1, rat: 0.5 }), TypeError, "f: unknown option 'rat' (did you mean 'rate'?)");
    expectThrows(() => checkOptions('f', schema, { units: 1, zzzzzz: 1 }), TypeError, "f: unknown option 'zzzzzz' (valid options: units, rate, name)");
    expectThrows(() => checkOptions('f', schema, {}), TypeError, "f: missing required option 'units'");
    expectThrows(() => checkOptions('f', schema, null), TypeError, 'f: options must be an object, got null');
    expectThrows(() => checkOptions('f', schema, [1]), TypeError, 'f: options must be an object, got array of length 1');
    expectThrows(() => checkOptions('f', schema, { units: '3' }), TypeError, "f: units must be an integer, got string '3'");
    expectThrows(() => checkOptions('f', schema, { units: 1.5 }), TypeError, 'f: units must be an integer, got number 1.5');
    expectThrows(() => checkOptions('f', schema, { units: 0 }), RangeError, 'f: units must be a positive integer, got number 0');
    expectThrows(() => checkOptions('f', schema, { units: Infinity }), RangeError, 'f: units must be a positive integer, got number Infinity');
    expectThrows(() => checkOptions('f', schema, { units: 1, rate: NaN }), RangeError, 'f: rate must be a number in [0, 1), got number NaN');
    expectThrows(() => checkOptions('f', schema, { units: 1, rate: 1 }), RangeError, 'f: rate must be a number in [0, 1), got number 1');
  });

  it('suggests by alias, by spelling without separators, by edit distance and by prefix', () => {
    expect(closestKey('learning_rate', ['lr', 'betas'])).toBe('lr');
    expect(closestKey('beta_1', ['lr', 'betas'])).toBe('betas');
    expect(closestKey('weight_decay', ['lr', 'weightDecay'])).toBe('weightDecay');
    expect(closestKey('kernel_size', ['filters', 'kernelSize'])).toBe('kernelSize');
    expect(closestKey('USE_BIAS', ['useBias'])).toBe('useBias');
    expect(closestKey('activaton', ['activation', 'units'])).toBe('activation');
    expect(closestKey('dilation', ['dilationRate', 'strides'])).toBe('dilationRate');
    expect(closestKey('xyz', ['units', 'activation'])).toBeUndefined();
  });
});

describe('the issue\'s examples', () => {
  it('layers', () => {
    expectThrows(() => L.conv2d({ filters: 8, kernelSize: 3, dilation: 2 } as never), TypeError, "conv2d: unknown option 'dilation' (did you mean 'dilationRate'?)");
    expectThrows(() => L.dense({ units: 3, activaton: 'relu' } as never), TypeError, "dense: unknown option 'activaton' (did you mean 'activation'?)");
    expectThrows(() => L.conv2d({ filters: 8, kernel_size: 3 } as never), TypeError, "conv2d: unknown option 'kernel_size' (did you mean 'kernelSize'?)");
    expectThrows(() => L.conv2d({ filters: 8, kernelSize: 3, stride: 2 } as never), TypeError, "conv2d: unknown option 'stride' (did you mean 'strides'?)");
    expectThrows(() => L.conv2d({ filters: 8, kernelSize: 3, use_bias: false } as never), TypeError, "conv2d: unknown option 'use_bias' (did you mean 'useBias'?)");
    expectThrows(() => L.conv2d({ filters: 8, kernelSize: 3, in_channels: 3 } as never), TypeError, "conv2d: unknown option 'in_channels' (did you mean 'inputShape'?)");
    expectThrows(() => L.dense({ units: 3, useBias: 'no' } as never), TypeError, "dense: useBias must be a boolean, got string 'no'");
    expectThrows(() => L.dropout({ rate: NaN }), RangeError, 'dropout: rate must be a number in [0, 1), got number NaN');
    expectThrows(() => L.dense({} as never), TypeError, "dense: missing required option 'units'");
    expectThrows(() => L.batchNormalization({ eps: 1e-3 } as never), TypeError, "batchNormalization: unknown option 'eps' (did you mean 'epsilon'?)");
    expectThrows(() => L.dense({ units: 2, kernelInitializer: { name: 'normal', stddev: 0.02 } as never }), TypeError,
      "dense: unknown option 'kernelInitializer.stddev' (did you mean 'kernelInitializer.std'?)");
    expectThrows(() => L.regularizers.l2(-1), RangeError, 'regularizers.l2: l2 must be a finite number ≥ 0, got number -1');
    expectThrows(() => nt.input({ shape: [3], dtyp: 'int64' } as never), TypeError, "input: unknown option 'dtyp' (did you mean 'dtype'?)");
    expectThrows(() => nt.sequential({ layer: [] } as never), TypeError, "sequential: unknown option 'layer' (did you mean 'layers'?)");
  });

  it('fromConfig of a config with an unknown key fails the same way; round trips stay exact', () => {
    const conv = L.conv2d({ name: 'c', filters: 4, kernelSize: 3, dilationRate: 2, kernelInitializer: { name: 'heNormal', mode: 'fanOut' } });
    const config = conv.getConfig();
    expect(L.layerFromConfig('Conv2D', config).getConfig()).toEqual(config);
    expectThrows(() => L.layerFromConfig('Conv2D', { ...config, dilation: 2 }), TypeError, "conv2d: unknown option 'dilation' (did you mean 'dilationRate'?)");
  });

  it('optimizers follow torch.optim\'s rules', () => {
    expectThrows(() => nt.optimizers.adam({ learningRate: 1e-3 } as never), TypeError, "adam: unknown option 'learningRate' (did you mean 'lr'?)");
    expectThrows(() => nt.optimizers.adam({ lr: 1e-3, beta_1: 0.9 } as never), TypeError, "adam: unknown option 'beta_1' (did you mean 'betas'?)");
    expectThrows(() => nt.optimizers.sgd({ weight_decay: 1e-4 } as never), TypeError, "sgd: unknown option 'weight_decay' (did you mean 'weightDecay'?)");
    expectThrows(() => nt.optimizers.adam({ lr: -1 }), RangeError, 'adam: lr must be a finite number ≥ 0, got number -1');
    expectThrows(() => nt.optimizers.sgd({ lr: NaN }), RangeError, 'sgd: lr must be a finite number ≥ 0, got number NaN');
    expectThrows(() => nt.optimizers.adam({ betas: [0.9, 1] }), RangeError, 'adam: betas[1] must be a number in [0, 1), got number 1');
    expectThrows(() => nt.optimizers.adam({ betas: [0.9] as never }), TypeError, 'adam: betas must be an array of 2, got array of length 1');
    expectThrows(() => nt.optimizers.adamW({ eps: -1e-8 }), RangeError, 'adamW: eps must be a finite number ≥ 0, got number -1e-8');
    expectThrows(() => nt.optimizers.sgd({ weightDecay: -1 }), RangeError, 'sgd: weightDecay must be a finite number ≥ 0, got number -1');
    expectThrows(() => nt.optimizers.sgd({ momentum: -0.9 }), RangeError, 'sgd: momentum must be a finite number ≥ 0, got number -0.9');
    expectThrows(() => nt.optimizers.sgd({ nesterov: true }), RangeError, 'sgd: nesterov requires momentum > 0 and dampening 0, got momentum 0 and dampening 0');
    expectThrows(() => nt.optimizers.sgd({ nesterov: true, momentum: 0.9, dampening: 0.1 }), RangeError, /^sgd: nesterov requires momentum > 0 and dampening 0/);
    expectThrows(() => nt.optimizers.rmsprop({ alpha: 1.5 }), RangeError, 'rmsprop: alpha must be a number in [0, 1], got number 1.5');
    expectThrows(() => nt.optimizers.rmsprop({ rho: 0.9 } as never), TypeError, "rmsprop: unknown option 'rho' (did you mean 'alpha'?)");
    expectThrows(() => nt.optimizers.adagrad({ lrDecay: -1 }), RangeError, 'adagrad: lrDecay must be a finite number ≥ 0, got number -1');
    expectThrows(() => nt.optimizers.adam({ clipNorm: 0 }), RangeError, 'adam: clipNorm must be a finite number > 0, got number 0');
    expectThrows(() => nt.optimizers.adam({ clipValue: -1 }), RangeError, 'adam: clipValue must be a finite number > 0, got number -1');
    expect(nt.optimizers.sgd({ lr: 0.1, momentum: 0.9, nesterov: true })).toMatchObject({ kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true });
    const w = nt.randn([2], { requiresGrad: true });
    expectThrows(() => nt.optim.adam([w], { lr: -1 }), RangeError, 'optim.adam: lr must be a finite number ≥ 0, got number -1');
    expectThrows(() => nt.optim.sgd([w], { lr: 0.1 }).zeroGrad({ set_to_none: false } as never), TypeError,
      "optim.sgd.zeroGrad: unknown option 'set_to_none' (did you mean 'setToNone'?)");
  });
});
