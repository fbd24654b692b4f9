/**
 * image_folder.ts — `await nt.data.imageFolder({ dir, size, channels })`: a classification dataset
 * from one subfolder per class (sorted names = class indices) of PNG/JPEG/WebP files. Images are
 * not loaded whole: the prefetch thread asks for each batch, and sharp (libvips, off the event
 * loop) decodes and resizes it, keeping recently used samples in a bounded cache.
 * Also `loadImage` for single files (the CLI's predict).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invalidValue } from '../errors';
import { tensor } from '../tensor/creation';
import { tidy } from '../tensor/memory';
import type { Tensor } from '../tensor/tensor';
import { Dataset, type DatasetArgs, type SampleStream } from './dataset';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);
const DEFAULT_CACHE_BYTES = 256 * 2 ** 20;

export interface ImageOptions {
  /** [height, width] every image is resized to (cover + center crop, as torchvision's Resize+CenterCrop). */
  size: [number, number];
  /** 1 (grayscale) or 3 (RGB; default). */
  channels?: 1 | 3;
}

type Sharp = typeof import('sharp');

function loadSharp(op: string): Sharp {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('sharp') as Sharp;
  } catch (err) {
    throw new Error(`${op}: the 'sharp' package is needed to decode images (npm install sharp): ${(err as Error).message}`);
  }
}

function checkImageOptions(op: string, o: ImageOptions): { size: [number, number]; channels: 1 | 3 } {
  const size = o?.size;
  if (!Array.isArray(size) || size.length !== 2 || size.some((d) => !Number.isInteger(d) || d < 1)) throw invalidValue(op, 'size', '[height, width]', size);
  const channels = o.channels ?? 3;
  if (channels !== 1 && channels !== 3) throw invalidValue(op, 'channels', '1 or 3', channels);
  return { size, channels };
}

/**
 * One image file as uint8 bytes laid out [H, W, C]. `convert: false` skips the colour conversion
 * (which costs as much as the decode) for files already in the wanted form (gray, or sRGB): they
 * only need the output colour space named (sharp writes sRGB unless told otherwise).
 */
async function decode(sharp: Sharp, op: string, file: string | Buffer, size: [number, number], channels: 1 | 3, convert = true): Promise<Buffer> {
  try {
    let img = sharp(file).resize(size[1], size[0], { fit: 'cover' }).removeAlpha();
    if (channels === 1) img = convert ? img.grayscale() : img.toColourspace('b-w');
    else if (convert) img = img.toColourspace('srgb');
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoded ${info.channels} channels`);
    return data;
  } catch (err) {
    throw new Error(`${op}: cannot decode ${typeof file === 'string' ? file : 'the image'}: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs `fn` on every item with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A single image (a file, or its bytes) as a float32 [1, C, H, W] tensor of values in [0, 255]. */
export async function loadImage(file: string | Buffer, options: ImageOptions): Promise<Tensor> {
  const { size, channels } = checkImageOptions('data.loadImage', options);
  const hwc = await decode(loadSharp('data.loadImage'), 'data.loadImage', file, size, channels);
  return tidy(() => tensor(Float32Array.from(hwc), { shape: [1, size[0], size[1], channels] }).permute(0, 3, 1, 2).contiguous());
}

/**
 * Decoded samples by index, the least recently used dropped beyond `capacity`; concurrent
 * requests for a sample share one decode.
 */
class SampleCache {
  private readonly entries = new Map<number, Promise<Buffer>>();

  constructor(
    private readonly capacity: number,
    private readonly load: (index: number) => Promise<Buffer>,
  ) {}

  get(index: number): Promise<Buffer> {
    let entry = this.entries.get(index);
    if (entry !== undefined) {
      this.entries.delete(index); // re-inserted below: most recently used last
    } else {
      const loading = this.load(index);
      loading.catch(() => {
        if (this.entries.get(index) === loading) this.entries.delete(index); // a failed decode is not kept
      });
      entry = loading;
    }
    if (this.capacity > 0) {
      this.entries.set(index, entry);
      if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as number);
    }
    return entry;
  }
}

/** The dataset of an image folder (see the file header). */
export async function imageFolder(
  options: {
    dir: string;
    /** Decoded images kept in memory (default: as many as fit in 256 MiB); 0 decodes every time. */
    cacheSize?: number;
  } & ImageOptions &
    Omit<DatasetArgs, 'x' | 'y' | 'classNames'>,
): Promise<Dataset> {
  const op = 'data.imageFolder';
  const { dir, size: _size, channels: _channels, cacheSize, ...rest } = options;
  const { size, channels } = checkImageOptions(op, options);
  const sampleBytes = size[0] * size[1] * channels;
  const capacity = cacheSize ?? Math.floor(DEFAULT_CACHE_BYTES / sampleBytes);
  if (!Number.isInteger(capacity) || capacity < 0) throw invalidValue(op, 'cacheSize', 'an integer >= 0', cacheSize);
  let classes: string[];
  try {
    classes = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (err) {
    throw new Error(`${op}: cannot read the folder ${dir}: ${(err as Error).message}`);
  }
  if (classes.length === 0) throw new Error(`${op}: ${dir} has no class subfolders (expected ${dir}/<class>/<image>.png ...)`);
  const files: string[] = [];
  const labels: bigint[] = [];
  classes.forEach((name, label) => {
    const entries = fs.readdirSync(path.join(dir, name)).filter((f) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase())).sort();
    if (entries.length === 0) throw new Error(`${op}: the class folder ${path.join(dir, name)} has no PNG/JPEG/WebP images`);
    for (const f of entries) {
      files.push(path.join(dir, name, f));
      labels.push(BigInt(label));
    }
  });
  const sharp = loadSharp(op);
  // Headers only: an unreadable file fails here, naming it, rather than in the middle of training.
  const convert = new Array<boolean>(files.length);
  await eachLimited(Array.from(files.keys()), 8, async (i) => {
    try {
      const meta = await sharp(files[i]).metadata();
      const colours = (meta.channels ?? 0) - (meta.hasAlpha ? 1 : 0);
      convert[i] = channels === 1 ? colours !== 1 : colours !== 3 || meta.space !== 'srgb';
    } catch (err) {
      throw new Error(`${op}: cannot decode ${files[i]}: ${(err as Error).message}`, { cause: err });
    }
  });
  const cache = new SampleCache(capacity, (i) => decode(sharp, op, files[i], size, channels, convert[i]));
  const stream: SampleStream = {
    count: files.length,
    hwc: [size[0], size[1], channels],
    fetch: (indices, done) => {
      Promise.all(Array.from(indices, (i) => cache.get(i))).then(
        (samples) => done(null, Buffer.concat(samples, indices.length * sampleBytes)),
        (err: Error) => done(err),
      );
    },
  };
  const y = tensor(BigInt64Array.from(labels));
  try {
    return new Dataset({ ...rest, stream, y, classNames: classes });
  } finally {
    y.dispose();
  }
}
