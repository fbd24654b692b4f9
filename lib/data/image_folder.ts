/**
 * image_folder.ts — `await nt.data.imageFolder({ dir, size, channels })`: a classification dataset
 * from one subfolder per class (sorted names = class indices) of PNG/JPEG/WebP files, decoded and
 * resized with sharp (libvips, off the event loop) into compact uint8 [N, C, H, W] samples.
 * Also `loadImage` for single files (the CLI's predict).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { invalidValue } from '../errors';
import { tensor } from '../tensor/creation';
import type { Tensor } from '../tensor/tensor';
import { Dataset, type DatasetArgs } from './dataset';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

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

/** One image file as uint8 CHW bytes. */
async function decode(sharp: Sharp, op: string, file: string, size: [number, number], channels: 1 | 3): Promise<Uint8Array> {
  try {
    let img = sharp(file).resize(size[1], size[0], { fit: 'cover' }).removeAlpha();
    img = channels === 1 ? img.grayscale() : img.toColourspace('srgb');
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoded ${info.channels} channels`);
    const chw = new Uint8Array(channels * size[0] * size[1]);
    const plane = size[0] * size[1];
    for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) chw[c * plane + p] = data[p * channels + c];
    return chw;
  } catch (err) {
    throw new Error(`${op}: cannot decode ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** A single image file as a float32 [1, C, H, W] tensor of values in [0, 255]. */
export async function loadImage(file: string, options: ImageOptions): Promise<Tensor> {
  const { size, channels } = checkImageOptions('data.loadImage', options);
  const bytes = await decode(loadSharp('data.loadImage'), 'data.loadImage', file, size, channels);
  return tensor(Float32Array.from(bytes), { shape: [1, channels, size[0], size[1]] });
}

/** The dataset of an image folder (see the file header). */
export async function imageFolder(options: { dir: string } & ImageOptions & Omit<DatasetArgs, 'x' | 'y' | 'classNames'>): Promise<Dataset> {
  const op = 'data.imageFolder';
  const { dir, size: _size, channels: _channels, ...rest } = options;
  const { size, channels } = checkImageOptions(op, options);
  let classes: string[];
  try {
    classes = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (err) {
    throw new Error(`${op}: cannot read the folder ${dir}: ${(err as Error).message}`);
  }
  if (classes.length === 0) throw new Error(`${op}: ${dir} has no class subfolders (expected ${dir}/<class>/<image>.png ...)`);
  const files: [string, number][] = [];
  classes.forEach((name, label) => {
    const entries = fs.readdirSync(path.join(dir, name)).filter((f) => IMAGE_EXTENSIONS.has(path.extname(f).toLowerCase())).sort();
    if (entries.length === 0) throw new Error(`${op}: the class folder ${path.join(dir, name)} has no PNG/JPEG/WebP images`);
    for (const f of entries) files.push([path.join(dir, name, f), label]);
  });
  const sharp = loadSharp(op);
  const sample = channels * size[0] * size[1];
  const pixels = new Uint8Array(files.length * sample);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < files.length; i = next++) pixels.set(await decode(sharp, op, files[i][0], size, channels), i * sample);
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  const x = tensor(pixels, { shape: [files.length, channels, size[0], size[1]] });
  const y = tensor(BigInt64Array.from(files, ([, label]) => BigInt(label)));
  try {
    return new Dataset({ ...rest, x, y, classNames: classes });
  } finally {
    x.dispose();
    y.dispose();
  }
}
