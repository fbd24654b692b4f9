/**
 * png.ts — writes images as PNG (no dependency: zlib from Node): `encodePng` for raw 8-bit
 * pixels, and `imageGridPng` for a batch of image tensors tiled into one picture (like
 * torchvision.utils.make_grid + save_image), used for GAN samples and report figures.
 */
import { checkOptions, defineOptions, rule } from '../options';
import * as zlib from 'node:zlib';
import { invalidType, invalidValue } from '../errors';
import { tidy } from '../tensor/memory';
import { Tensor } from '../tensor/tensor';

export interface RawImage {
  /** Row-major pixels, `channels` bytes each. */
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 gray, 3 RGB, 4 RGBA. */
  channels: 1 | 3 | 4;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(body.buffer, body.byteOffset, body.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

const RAW_IMAGE = defineOptions<RawImage>({
  data: rule.instance(Uint8Array, { required: true }),
  width: rule.int({ min: 1, required: true }),
  height: rule.int({ min: 1, required: true }),
  channels: rule.oneOf([1, 3, 4], { required: true }),
});

/** The PNG file of 8-bit pixels. */
export function encodePng(image: RawImage): Buffer {
  const { data, width, height, channels } = checkOptions('encodePng', RAW_IMAGE, image);
  if (data.length !== width * height * channels) {
    throw new RangeError(`encodePng: ${width}×${height}×${channels} pixels need ${width * height * channels} bytes, got ${data.length}`);
  }
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1); // filter 0 per row
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6; // gray, RGB, RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

export interface GridOptions {
  /** Images per row (default ceil(sqrt(N))). */
  nrow?: number;
  /** Pixels between images (default 2). */
  padding?: number;
  /** Value range mapped to 0..255 (default [-1, 1], a tanh generator's). */
  range?: [number, number];
  /** Padding gray level 0..255 (default 0). */
  padValue?: number;
}

const GRID_OPTIONS = defineOptions<GridOptions>({
  nrow: rule.int({ min: 1 }),
  padding: rule.int({ min: 0 }),
  range: rule.tuple(2, rule.number()),
  padValue: rule.int({ min: 0, max: 255 }),
});

/** A PNG of the images [N, C, H, W] (C = 1 or 3) tiled row by row. */
export function imageGridPng(images: Tensor, options: GridOptions = {}): Buffer {
  checkOptions('imageGridPng', GRID_OPTIONS, options);
  if (!(images instanceof Tensor)) throw invalidType('imageGridPng', 'images', 'a Tensor [N, C, H, W]', images);
  if (images.ndim !== 4 || (images.shape[1] !== 1 && images.shape[1] !== 3)) {
    throw new RangeError(`imageGridPng: expected images [N, 1 | 3, H, W], got [${images.shape.join(', ')}]`);
  }
  const [n, c, h, w] = images.shape;
  const nrow = options.nrow ?? Math.ceil(Math.sqrt(n));
  const pad = options.padding ?? 2;
  const [lo, hi] = options.range ?? [-1, 1];
  if (!(hi > lo)) throw invalidValue('imageGridPng', 'range', '[lo, hi] with hi > lo', options.range);
  const pixels = tidy(() =>
    images.detach().to({ dtype: 'float32', device: 'cpu' }).sub(lo).div(hi - lo).clamp(0, 1).mul(255).round().to('uint8').permute([0, 2, 3, 1]).contiguous(),
  );
  const bytes = pixels.dataSync() as Uint8Array;
  pixels.dispose();
  const rows = Math.ceil(n / nrow);
  const width = nrow * (w + pad) + pad;
  const height = rows * (h + pad) + pad;
  const out = new Uint8Array(width * height * c).fill(options.padValue ?? 0);
  for (let i = 0; i < n; i++) {
    const x0 = pad + (i % nrow) * (w + pad);
    const y0 = pad + Math.floor(i / nrow) * (h + pad);
    for (let y = 0; y < h; y++) {
      const src = (i * h + y) * w * c;
      out.set(bytes.subarray(src, src + w * c), ((y0 + y) * width + x0) * c);
    }
  }
  return encodePng({ data: out, width, height, channels: c as 1 | 3 });
}
