/**
 * dcgan.ts — DCGAN generator and discriminator (Radford et al. 2015, laid out as the PyTorch DCGAN
 * example) as ordinary Sequential models.
 *
 * Generator: latent vector → [latentDim, 1, 1] → transposed convs (4×4, stride 2, padding 1) with
 * batch norm and ReLU, doubling the size each time → tanh image in [-1, 1]. Discriminator: strided
 * 4×4 convs with LeakyReLU(0.2) (batch norm on all but the first) → one logit per image (no
 * sigmoid: the GAN losses take logits). No conv biases. Sizes: 64 (4→8→16→32→64, as the
 * reference), 32 (4→8→16→32) and 28 (a 7×7 first block: 7→14→28). Init: conv weights N(0, 0.02),
 * BN γ ~ N(1, 0.02), β = 0.
 */
import { invalidValue } from '../errors';
import { checkOptions, defineOptions, rule } from '../options';
import type { Initializer } from '../layers/initializers';
import * as layers from '../layers';
import type { Layer } from '../layers/layer';
import { Sequential } from '../models/sequential';

export interface DcganArgs {
  /** 28, 32 or 64. */
  imageSize: 28 | 32 | 64;
  /** Image channels (1 grayscale, 3 RGB). */
  channels: number;
  /** Length of the noise vector (default 100). */
  latentDim?: number;
  /** Generator feature maps in its last hidden layer (default 64). */
  ngf?: number;
  /** Discriminator feature maps in its first layer (default 64). */
  ndf?: number;
  /** Prefix of the two model names (default 'dcgan'). */
  name?: string;
}

export interface Dcgan {
  generator: Sequential;
  discriminator: Sequential;
}

const WEIGHT: Initializer = { name: 'normal', mean: 0, std: 0.02 };
const GAMMA: Initializer = { name: 'normal', mean: 1, std: 0.02 };

/** Per size: the first block's kernel (from 1×1) and the feature multipliers of each block. */
const LAYOUTS: Record<number, { first: number; mults: number[] }> = {
  64: { first: 4, mults: [8, 4, 2, 1] },
  32: { first: 4, mults: [4, 2, 1] },
  28: { first: 7, mults: [2, 1] },
};

function bn(): Layer {
  return layers.batchNormalization({ gammaInitializer: GAMMA, betaInitializer: 'zeros' });
}

const positive = rule.int({ min: 1 });
const DCGAN_OPTIONS = defineOptions<DcganArgs>({
  // checked by dcgan() (28, 32 or 64)
  imageSize: rule.any({ required: true }),
  channels: rule.int({ min: 1, required: true }),
  latentDim: positive,
  ngf: positive,
  ndf: positive,
  name: rule.string(),
});

/** `nt.builders.dcgan({ imageSize, channels })` → `{ generator, discriminator }`. */
export function dcgan(args: DcganArgs): Dcgan {
  const op = 'builders.dcgan';
  const { imageSize, channels, latentDim = 100, ngf = 64, ndf = 64, name = 'dcgan' } = checkOptions(op, DCGAN_OPTIONS, args);
  const layout = Object.hasOwn(LAYOUTS, imageSize) ? LAYOUTS[imageSize] : undefined;
  if (layout === undefined) throw invalidValue(op, 'imageSize', '28, 32 or 64', imageSize);

  const g: Layer[] = [layers.reshape({ inputShape: [latentDim], targetShape: [latentDim, 1, 1] })];
  layout.mults.forEach((mult, i) => {
    const first = i === 0;
    g.push(
      layers.conv2dTranspose({
        filters: ngf * mult,
        kernelSize: first ? layout.first : 4,
        strides: first ? 1 : 2,
        padding: first ? 0 : 1,
        useBias: false,
        kernelInitializer: WEIGHT,
      }),
      bn(),
      layers.relu(),
    );
  });
  g.push(layers.conv2dTranspose({ filters: channels, kernelSize: 4, strides: 2, padding: 1, useBias: false, kernelInitializer: WEIGHT }));
  g.push(layers.activation({ activation: 'tanh' }));

  const d: Layer[] = [];
  [...layout.mults].reverse().forEach((mult, i) => {
    d.push(
      layers.conv2d({
        ...(i === 0 ? { inputShape: [channels, args.imageSize, args.imageSize] } : {}),
        filters: ndf * mult,
        kernelSize: 4,
        strides: 2,
        padding: 1,
        useBias: false,
        kernelInitializer: WEIGHT,
      }),
    );
    if (i > 0) d.push(bn());
    d.push(layers.leakyReLU({ alpha: 0.2 }));
  });
  d.push(layers.conv2d({ filters: 1, kernelSize: layout.first, strides: 1, padding: 0, useBias: false, kernelInitializer: WEIGHT }));
  d.push(layers.flatten());

  return {
    generator: new Sequential({ name: `${name}_generator`, layers: g }),
    discriminator: new Sequential({ name: `${name}_discriminator`, layers: d }),
  };
}
